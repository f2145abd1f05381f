// Creates SRTP sessions: validates the policy once (clear SrtpError messages), then picks the backend: the native
// core when it loaded ('auto' prefers it), else the pure TypeScript one. The choice is logged once per process.
import { logger } from '../../common/log.js';
import { loadNativeSrtp, nativeSrtpUnavailableReason, type NativeSessionFactory } from './native/load.js';
import { SrtpError, SrtpStatus, type SrtpBackendName, type SrtpPolicy, type SrtpSession, type SrtpSessionOptions } from './types.js';
import { validateSrtpPolicy } from './policy.js';
import { TsSrtpSession } from './ts/ts-session.js';

export { validateSrtpPolicy, MAX_KDR } from './policy.js';

const log = logger('srtp');

let announced = false;

/** The native factory (the loader caches its own result), or null. */
function native(): NativeSessionFactory | null {
  try {
    return loadNativeSrtp();
  } catch (err) {
    log.debug(`native SRTP loader threw: ${err instanceof Error ? err.message : String(err)}`);
    return null;
  }
}

/** The backends this process can use: always 'ts', plus 'native' when the addon loaded. */
export function availableSrtpBackends(): SrtpBackendName[] {
  return native() ? ['ts', 'native'] : ['ts'];
}

/** Validates the policy and creates a session on the requested backend ('auto' by default). */
export function createSrtpSession(policy: SrtpPolicy, options: SrtpSessionOptions = {}): SrtpSession {
  validateSrtpPolicy(policy);
  const want = options.backend ?? 'auto';
  if (want !== 'auto' && want !== 'ts' && want !== 'native') throw new SrtpError(SrtpStatus.Malformed, `unknown SRTP backend ${JSON.stringify(want)} (ts, native or auto)`);
  const factory = want === 'ts' ? null : native();
  if (want === 'native' && !factory) throw new SrtpError(SrtpStatus.Malformed, `the native SRTP backend is unavailable: ${nativeSrtpUnavailableReason()}`);
  if (want === 'auto' && !announced) {
    announced = true;
    if (factory) log.info('SRTP backend: native');
    else log.info(`SRTP backend: ts (native unavailable: ${nativeSrtpUnavailableReason()})`);
  }
  return factory ? factory(policy) : new TsSrtpSession({ policy });
}
