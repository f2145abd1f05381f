// The embedded CUCM-like cluster: configuration, services, operations, fault injection and one event journal.
export * from './config.js';
export { loadClusterConfigFile, parseClusterConfigYaml, type LocatedIssue } from './config-file.js';
export { EmbeddedCluster, ClusterOperationError, EXPORT_CONTROL_MESSAGE, type ClusterStatus, type CreateOptions, type EmbeddedClusterOptions, type OperationResult } from './cluster.js';
export { ClusterServices, SERVICE_KEYS, SERVICE_NAMES, parseServiceName, type ClusterEndpoints, type ServiceAddress, type ServiceKey } from './services.js';
export { ClusterJournal, type ClusterEvent, type ClusterEventBody, type ClusterEventKind, type ClusterEventSource, type SipRegistrationInfo } from './journal.js';
export { ClusterFaults, CAPF_REFUSALS, CERTIFICATE_FAULT_PORTS, PORT_PURPOSES, TAMPER_MODES, forgeCertificate, tamperRecord, tamperSignature, type CapfRefusal, type CertificateFaultKind, type CertificateFaultPort, type ForgedCredentials, type TamperMode } from './faults.js';
export { ClusterProvisioningSource, deviceRecord, enterpriseParameters, type PhoneFacing, type ProvisioningView, type TftpView } from './provisioning.js';
export { ClusterDeviceDirectory, effectivePhoneProfile, sipTrunks, type SipDirectoryView } from './sip-directory.js';
export { buildCtlFor, buildItlFor, type CtlOptions, type ItlOptions, type TrustFileSigner } from './trust-files.js';
export type { ClusterState, PendingPhoneReset, StoredCtl } from './state.js';
export { outboundTrunkVerifier, trunkRoutes, trunkServerName, type TrunkTlsDecision } from './trunks.js';
