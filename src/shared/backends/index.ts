import type { EpdbConfig } from '../config.js';
import type { EPDBBackend } from './backend.js';

/**
 * The built-in backend that `config` names, with its key and age bound. Only the chosen
 * backend's module is loaded (Fernet's pulls `node:crypto`, which a JWT or Base64 setup need
 * not pay for at start-up).
 */
export function createBackend(config: Pick<EpdbConfig, 'backend' | 'key' | 'maxAgeSeconds'>): EPDBBackend {
  switch (config.backend) {
    case 'base64': {
      const { Base64Backend } = require('./base64.js') as typeof import('./base64.js');
      return new Base64Backend();
    }
    case 'fernet': {
      const { FernetBackend } = require('./fernet.js') as typeof import('./fernet.js');
      return new FernetBackend({ key: config.key ?? '', maxAgeSeconds: config.maxAgeSeconds });
    }
    case 'jwt': {
      const { JWTBackend } = require('./jwt.js') as typeof import('./jwt.js');
      return new JWTBackend({ secret: config.key ?? '', maxAgeSeconds: config.maxAgeSeconds });
    }
  }
}
