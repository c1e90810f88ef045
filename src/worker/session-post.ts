import type { Session } from 'node:inspector';

/** `session.post` as a promise of the method's result; rejects with the protocol error. */
export function postAsync<T = Record<string, unknown>>(session: Session, method: string, params?: object): Promise<T> {
  return new Promise((resolve, reject) => {
    try {
      session.post(method, params, (error, result) => {
        if (error !== null) reject(error);
        else resolve((result ?? {}) as T);
      });
    } catch (error) {
      reject(error);
    }
  });
}
