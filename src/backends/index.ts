import type { EpdbConfig } from '../config.js';
import type { EPDBBackend } from './backend.js';
import { Base64Backend } from './base64.js';
import { FernetBackend } from './fernet.js';
import { JWTBackend } from './jwt.js';

/** The built-in backend that `config` names, with its key and age bound. */
export function createBackend(config: Pick<EpdbConfig, 'backend' | 'key' | 'maxAgeSeconds'>): EPDBBackend {
  switch (config.backend) {
    case 'base64':
      return new Base64Backend();
    case 'fernet':
      return new FernetBackend({ key: config.key ?? '', maxAgeSeconds: config.maxAgeSeconds });
    case 'jwt':
      return new JWTBackend({ secret: config.key ?? '', maxAgeSeconds: config.maxAgeSeconds });
  }
}
