// Emulated phones: model profiles, the phone's trust store, its boot, SIP registration and calls, and the Phone facade.
export * from './models/model-profiles.js';
export { parseModelsYaml, loadModelsFile, loadModelRegistry, ModelLoadError, type ModelIssue, type LoadOptions } from './models/model-loader.js';
export * from './trust/phone-trust-store.js';
export { engineTvsPort, describeVerdict, type TvsAnswer, type TvsMemberAddress, type TvsPort, type TvsPurpose, type TvsQuery, type EngineTvsPortOptions } from './trust/tvs-port.js';
export { phoneTlsOffer, connectWithOffer, type ClientCredential, type PhoneTlsOfferParams, type TlsOffer, type TlsOfferAttempt, type TlsOfferPurpose, type TlsConnectResult, type TlsHandshakeRecord, type ServerCertificateRecord, type ConnectOptions } from './tls/phone-tls-offer.js';
export { tftpGet, TftpClientError, type TftpGetOptions, type TftpGetResult, type TftpFailure } from './boot/tftp-client.js';
export { FileFetcher, type FetchResult, type FetchStatus, type FetchTransport, type FileServerAddress, type FileFetcherOptions, type HttpsFetch } from './boot/file-fetcher.js';
export { BOOT_STEPS, BootRecorder, describeSteps, type BootEvent, type BootStep, type StepOutcome, type StepSummary } from './boot/boot-events.js';
export { engineCapfPort, type CapfPort, type CapfRequest, type CapfResult, type CapfStatus, type HeldCertificate, type EngineCapfPortOptions } from './boot/capf-port.js';
export { runBoot, type BootContext, type BootEffects, type BootIdentity, type BootResult, type CallManagerTarget, type ReadyForRegistration, type SecurityModeName, type TransportName } from './boot/boot-sequence.js';
export { Phone, manufacturingIdentity, PHONE_FILE, type MicInput, type PhoneOptions, type PhoneSipEvent, type PhoneSipOptions, type RegistrationContext } from './phone.js';
export * from './sip/index.js';
export { writeFileAtomic, removeStaleTemps, StateFileError, type StateFileHooks, type WriteStep } from './store/state-file.js';
