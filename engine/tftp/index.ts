// Configuration download: the TFTP/HTTP/HTTPS file service phones talk to before they register.
export * from './tftp-packets.js';
export { TftpServer, type TftpServerOptions, type TftpFileResult, type TftpRequestInfo, type TransferRecord, type TransferOutcome, type TftpServerStats } from './tftp-server.js';
export { parseXml, serializeXml, XmlError, type XmlElement, type XmlLimits } from './xml.js';
export * from './cnf-xml.js';
export * from './provisioning-source.js';
export { phoneConfigFor, defaultConfigFor, disabledTlsCiphers, effectiveSecurityMode, tvsMembers, callManagerMembers, md5Hex, type ConfigContext } from './device-config.js';
export { FileService, FileNameError, checkRequestedName, encryptionKeyFor, type FileServiceOptions, type FrontDoor, type LscRequirement, type RequestContext, type ResolveResult } from './file-service.js';
export { HttpFront, type HttpFrontOptions, type HttpRequestEvent, type HttpsSettings, type HttpTlsInfo, type KeyCertPair } from './http-front.js';
export {
  DEFAULT_PORTS,
  ProvisioningServer,
  startProvisioningServer,
  type FrontDoorSettings,
  type JournalEntry,
  type ProvisioningPorts,
  type ProvisioningServerOptions,
} from './provisioning-server.js';
