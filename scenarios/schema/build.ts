// Builds the scenario JSON Schema (draft-07: what editors and ajv both handle best). Every object schema is declared
// through obj<T>(), whose `properties` must name exactly the keys of the document interface T (scenarios/document.ts),
// so the TypeScript types and the schema cannot drift apart. scenario.schema.json is this output (generate.ts).
import type * as D from '../document.js';
import * as V from '../vocabulary.js';

export type JsonSchema = { [keyword: string]: unknown };
type Props<T> = { [K in keyof Required<T>]: JsonSchema };

export const SCHEMA_ID = 'urn:trustline:schema:scenario:1';
const ref = (name: string): JsonSchema => ({ $ref: `#/definitions/${name}` });

function obj<T>(description: string, properties: Props<T>, required: (keyof T & string)[] = [], extra: JsonSchema = {}): JsonSchema {
  return { type: 'object', description, properties, ...(required.length ? { required } : {}), additionalProperties: false, ...extra };
}
const str = (description: string, extra: JsonSchema = {}): JsonSchema => ({ type: 'string', description, minLength: 1, ...extra });
const bool = (description: string): JsonSchema => ({ type: 'boolean', description });
const int = (description: string, minimum?: number, maximum?: number): JsonSchema => ({
  type: 'integer',
  description,
  ...(minimum !== undefined ? { minimum } : {}),
  ...(maximum !== undefined ? { maximum } : {}),
});
const oneOf = (description: string, values: readonly unknown[], extra: JsonSchema = {}): JsonSchema => ({ description, enum: [...values], ...extra });
const list = (description: string, items: JsonSchema, extra: JsonSchema = {}): JsonSchema => ({ type: 'array', description, items, minItems: 1, ...extra });
/** One value, or a list of them (the observed value must be one of them); long lists are shared definitions. */
const SHARED_ENUMS: Record<string, readonly unknown[]> = {
  tlsSuite: V.TLS_SUITE_NAMES,
  srtpSuite: V.SRTP_SUITE_NAMES,
  purpose: V.PURPOSES,
  trustDecision: V.TRUST_DECISIONS,
};
const enumRef = (values: readonly unknown[]): JsonSchema => {
  const shared = Object.entries(SHARED_ENUMS).find(([, v]) => v === values);
  return shared ? ref(shared[0]) : { enum: [...values] };
};
const oneOrMany = (description: string, values: readonly unknown[]): JsonSchema => ({
  description,
  anyOf: [enumRef(values), { type: 'array', items: enumRef(values), minItems: 1 }],
});
const map = (description: string, value: JsonSchema, extra: JsonSchema = {}): JsonSchema => ({
  type: 'object',
  description,
  additionalProperties: value,
  ...extra,
});

const NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.@-]*$';
const NAME_HINT = 'a name of letters, digits, and . _ @ - (starting with a letter or digit)';
const named = (description: string, value: JsonSchema, extra: JsonSchema = {}): JsonSchema =>
  map(description, value, { propertyNames: { pattern: NAME_PATTERN, patternErrorMessage: NAME_HINT }, ...extra });

const DURATION_PATTERN = '^[0-9]+(\\.[0-9]+)?(ms|s|m|h)$';
const duration = (description: string): JsonSchema => ({
  type: ['string', 'number'],
  description: `${description} Written "500ms", "2s", "1.5m", "1h", or a number of seconds.`,
  pattern: DURATION_PATTERN,
  patternErrorMessage: 'a duration such as "500ms", "2s", "1.5m" or "1h"',
  minimum: 0,
});
const COMPARATOR_PATTERN = '^\\s*(==|!=|<=|>=|<|>)?\\s*-?[0-9]+(\\.[0-9]+)?\\s*$';
const numberMatch = (description: string): JsonSchema => ({
  type: ['number', 'string', 'object'],
  description: `${description} A number (equal), a comparison ("> 0", "<= 30", "!= 0"), or { min, max } (inclusive).`,
  pattern: COMPARATOR_PATTERN,
  patternErrorMessage: 'a comparison such as "> 0", "<= 30" or "== 5"',
  properties: { min: { type: 'number', description: 'Smallest accepted value.' }, max: { type: 'number', description: 'Largest accepted value.' } },
  additionalProperties: false,
  minProperties: 1,
});
const textMatch = (description: string): JsonSchema => ({
  type: ['string', 'object'],
  description: `${description} A plain string matches when the observed text contains it (any case); { matches: regex } tests a regular expression.`,
  minLength: 1,
  properties: { matches: { type: 'string', description: 'A JavaScript regular expression the observed text must match.', minLength: 1 } },
  required: ['matches'],
  additionalProperties: false,
});
const phoneTargets = (description: string): JsonSchema => ({
  type: ['string', 'array'],
  description: `${description} A phone name, a phone group name (a phone entry with count), "all", or a list of them.`,
  minLength: 1,
  items: { type: 'string', minLength: 1 },
  minItems: 1,
});
const MAC_PATTERN = '^(SEP|sep)?([0-9A-Fa-f]{12}|([0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}|([0-9A-Fa-f]{4}\\.){2}[0-9A-Fa-f]{4})$';
const DN_PATTERN = '^\\+?[0-9*#]{1,24}$';
const tlsSuites = (description: string): JsonSchema => list(description, enumRef(V.TLS_SUITE_NAMES));
const srtpSuites = (description: string): JsonSchema => list(description, enumRef(V.SRTP_SUITE_NAMES));
const tlsVersions = (description: string): JsonSchema => list(description, { enum: [...V.TLS_VERSIONS] });

function enterpriseParameters(): JsonSchema {
  const presets = V.TLS_PRESET_IDS.map((id) => `${id} = "${V.TLS_PRESET_LABELS[id]}"`).join('; ');
  return obj<D.EnterpriseParametersDocument>('Enterprise parameters (System > Enterprise Parameters) that change what phones and peers see.', {
    tlsCiphers: oneOf(`"TLS Ciphers" preset for SIP and CTI TLS (engine/tls/presets.ts): ${presets}. Default all-rsa.`, V.TLS_PRESET_IDS),
    srtpCiphers: oneOf(
      `"SRTP Ciphers" (engine/media-policy): ${Object.entries(V.SRTP_CIPHERS_LABELS).map(([k, v]) => `${k} = "${v}"`).join('; ')}. Default ${V.DEFAULT_SRTP_CIPHERS}.`,
      V.SRTP_CIPHERS_OPTIONS,
    ),
    httpsCiphers: oneOf('"HTTPS Ciphers": rsa-only ("RSA Ciphers only", the default) or all ("All Supported EC and RSA Ciphers").', V.HTTPS_CIPHERS_OPTIONS),
    minTlsVersion: oneOf('`set tls min-version`: the lowest TLS version the cluster accepts (write it quoted, e.g. "1.2"). Default "1.0".', V.MIN_TLS_VERSIONS),
    tftpFileSignatureAlgorithm: oneOf('"TFTP File Signature Algorithm" for signed configuration files. Default sha1.', V.TFTP_SIGNATURE_ALGORITHMS),
    phoneInteractionOnCertificateUpdate: oneOf(
      '"Phone Interaction on Certificate Update": auto-reset resets phones after a certificate change, manual-reset leaves it to the administrator. Default auto-reset.',
      V.PHONE_INTERACTION_OPTIONS,
    ),
    prepareClusterForRollback: bool('"Prepare Cluster for Rollback to pre-8.0": publishes an empty ITL so phones accept any ITL and unsigned configurations. Default false.'),
    autoRegistration: bool('Auto-registration of unknown phones (XMLDefault.cnf.xml). Default false.'),
    tlsResumptionTimer: int('"TLS Resumption Timer" in seconds. Default 3600.', 0, 3600),
    cipherManagement: obj<NonNullable<D.EnterpriseParametersDocument['cipherManagement']>>(
      'Cipher Management (OS Administration): OpenSSL cipher strings that override the TLS Ciphers preset.',
      {
        allTls: str('"All TLS" cipher string (OpenSSL syntax).'),
        sipTls: str('"SIP TLS" cipher string (OpenSSL syntax); wins over All TLS for SIP.'),
      },
    ),
  });
}

function certificateOptions(): JsonSchema {
  return obj<D.CertificateOptionsDocument>('How the cluster creates this certificate.', {
    present: bool('Whether the certificate exists at all (e.g. false for a cluster without CallManager-ECDSA). Default true.'),
    keyType: oneOf('Key type. Default RSA, EC for the -ECDSA purposes.', V.KEY_TYPES),
    keySize: oneOf('Key size in bits: RSA 1024/2048/3072/4096, EC 256/384/521. Default RSA 2048, EC 384.', V.KEY_SIZES),
    hash: oneOf('Signature hash. Default SHA256 (SHA384 for EC).', V.HASHES),
    signedBy: oneOf('self (self-signed, the default) or enterprise-ca (signed by the scenario\'s emulated enterprise CA, as a multi-server CA-signed certificate).', V.CERTIFICATE_SIGNERS),
    multiServer: bool('Multi-server (SAN) certificate covering every node. Default false.'),
    sharedWith: str('Use the same key and certificate as this other cluster (e.g. one ITLRecovery key for two clusters, seed002 S13 variant d).'),
  });
}

function capf(): JsonSchema {
  return obj<D.CapfDocument>('CAPF service and its parameters (publisher only).', {
    active: bool('Whether the CAPF service is activated (its certificate is then in the ITL/CTL). Default true.'),
    certificateIssuer: oneOf('"Certificate Issuer to Endpoint": capf (default), online-ca, offline-ca.', V.CERTIFICATE_ISSUERS),
    validityDays: int('"Duration Of Certificate Validity (in days)" of issued LSCs, 1-1825. Default 1825.', 1, 1825),
    operationExpiresDays: int('"CAPF Operation Expires in (days)". Default 10.', 1, 365),
    endpointAdvancedEncryption: bool('"Endpoint Advanced Encryption Algorithms Support" (EC LSCs for CAPF v3 endpoints). Default false.'),
    onlineCa: obj<D.OnlineCaDocument>(
      'Online CA settings when certificateIssuer is online-ca (seed002 §6.5).',
      {
        hostname: str('"Online CA Hostname": the CN of the CA web server certificate.'),
        port: int('"Online CA Port". Default 443.', 1, 65535),
        template: str('"Online CA Template": the certificate template name.'),
        type: oneOf('"Online CA Type". Default microsoft-ca.', ['microsoft-ca']),
      },
      ['hostname', 'template'],
    ),
  });
}

function cluster(): JsonSchema {
  const certs: Record<string, JsonSchema> = {};
  for (const p of V.PURPOSES) certs[p] = { description: `Options for the ${p} certificate.`, allOf: [ref('certificateOptions')] };
  return obj<D.ClusterDocument>('A Unified CM cluster: its nodes, security mode, enterprise parameters and certificates.', {
    description: str('What this cluster stands for.'),
    version: oneOf('Unified CM release the cluster behaves as. Default "14".', [...V.CUCM_VERSIONS, 10.5, 11.5, 12.5, 14, 15]),
    hostname: str('Publisher host name. Default "<cluster name>-pub" ("cucm-pub" for a single cluster).', { pattern: '^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?$' }),
    domain: str('DNS domain of the nodes. Default "trustline.test".'),
    subscribers: list('Subscriber node host names (each gets its own CallManager, TVS and TFTP certificates).', { type: 'string', minLength: 1 }),
    securityMode: oneOf('Cluster security mode: non-secure (default after install) or mixed (tokenless CTL, `utils ctl set-cluster mixed-mode`).', V.CLUSTER_SECURITY_MODES),
    sipOAuth: bool('SIP OAuth mode (`utils sipOAuth-mode enable`): encrypted Jabber without LSC or mixed mode. Default false.'),
    build: oneOf('restricted (default) or unrestricted: the unrestricted build cannot encrypt media or signalling (seed002 §5).', V.LICENSING_BUILDS),
    exportControlled: bool('Smart Licensing "Allow export-controlled functionality". Default true.'),
    fips: bool('FIPS mode. Default false.'),
    commonCriteria: bool('Common Criteria mode (changes the allowed TLS versions). Default false.'),
    parameters: ref('enterpriseParameters'),
    certificates: { type: 'object', description: 'Certificate options per purpose (engine/pki purposes).', properties: certs, additionalProperties: false },
    capf: ref('capf'),
  });
}

function phoneProfile(): JsonSchema {
  return obj<D.PhoneProfileDocument>(
    'A Phone Security Profile (System > Security > Phone Security Profile).',
    {
      description: str('Profile description.'),
      deviceSecurityMode: oneOf('"Device Security Mode".', V.DEVICE_SECURITY_MODES),
      transport: oneOf('"Transport Type" for non-secure mode (secure modes always use TLS). Default TCP.', V.PHONE_TRANSPORTS),
      tftpEncryptedConfig: bool('"TFTP Encrypted Config" (needs a MIC or LSC on the phone). Default false.'),
      excludeDigestCredentials: bool('"Exclude Digest Credentials in Configuration File". Default false.'),
      oauth: bool('"Enable OAuth Authentication" (Jabber with SIP OAuth). Default false.'),
      authMode: oneOf(
        'CAPF "Authentication Mode": auth-string (By Authentication String), null-string (By Null String, the default), existing-lsc (By Existing Certificate, precedence to LSC), existing-mic (precedence to MIC).',
        V.CAPF_AUTH_MODES,
      ),
      keyOrder: oneOf('CAPF "Key Order". Default rsa-only.', V.CAPF_KEY_ORDERS),
      rsaKeySize: oneOf('CAPF "RSA Key Size (Bits)". Default 2048.', V.CAPF_RSA_KEY_SIZES),
      ecKeySize: oneOf('CAPF "EC Key Size (Bits)". Default 384.', V.CAPF_EC_KEY_SIZES),
    },
    ['deviceSecurityMode'],
  );
}

function trunkProfile(): JsonSchema {
  return obj<D.TrunkProfileDocument>(
    'A SIP Trunk Security Profile.',
    {
      description: str('Profile description.'),
      deviceSecurityMode: oneOf('"Device Security Mode".', V.DEVICE_SECURITY_MODES),
      incomingTransport: oneOf('"Incoming Transport Type". Default TLS when secure, TCP+UDP otherwise.', V.TRUNK_INCOMING_TRANSPORTS),
      outgoingTransport: oneOf('"Outgoing Transport Type". Default TLS when secure, TCP otherwise.', V.TRUNK_OUTGOING_TRANSPORTS),
      incomingPort: int('"Incoming Port". Default 5061 when secure, 5060 otherwise.', 1, 65535),
      x509SubjectName: {
        type: ['string', 'array'],
        description: '"X.509 Subject Name": the peer certificate CN(s) this trunk accepts (seed002 §16 item 11).',
        minLength: 1,
        items: { type: 'string', minLength: 1 },
        minItems: 1,
      },
      enableDigestAuthentication: bool('"Enable Digest Authentication". Default false.'),
    },
    ['deviceSecurityMode'],
  );
}

function phone(): JsonSchema {
  const cert = obj<D.PhoneCertificateDocument>('The certificate the phone holds.', {
    keyType: oneOf('Key type. Default RSA.', V.KEY_TYPES),
    keySize: oneOf('Key size in bits. Default 2048 (RSA) or 256 (EC).', V.KEY_SIZES),
    expired: bool('The certificate is past its notAfter (e.g. a 7965-era MIC). Default false.'),
  });
  return obj<D.PhoneDocument>(
    'An emulated phone (or, with count, a group of identical phones).',
    {
      description: str('What this phone stands for.'),
      model: str('Phone model as endpoints/models knows it: a model number ("8865", "7962"), a family id ("cisco-79xx") or an alias ("legacy", "current", "jabber"). The 7900s are the legacy phones (TLS 1.0, AES_CM SRTP only).', {
        examples: [...V.PHONE_MODELS],
      }),
      mac: str('MAC address (12 hex digits; ":", "-" or "." separators and a SEP prefix allowed). With count, the first MAC of the range. Quote it if it is all digits.', {
        pattern: MAC_PATTERN,
        patternErrorMessage: 'a MAC address: 12 hex digits such as 001122AABBCC or 00:11:22:AA:BB:CC',
      }),
      count: int('Makes this entry a group of count phones named <name>-1 … <name>-<count>, MACs and lines counting up from mac and line.', 1, 100000),
      cluster: str('The cluster the phone boots against (DHCP option 150). Default: the first cluster.'),
      profile: str('Phone Security Profile name (profiles.phone). Default: a non-secure profile.'),
      line: {
        type: ['string', 'integer'],
        description: 'Directory number of line 1.',
        pattern: DN_PATTERN,
        patternErrorMessage: 'a directory number: digits, * or #, optionally starting with +',
        minimum: 0,
      },
      lines: list('Directory numbers of lines 1, 2, … (instead of line).', { type: ['string', 'integer'], pattern: DN_PATTERN, minimum: 0 }),
      protocol: oneOf('Signalling protocol. Default SIP.', ['SIP']),
      authMode: oneOf('CAPF "Authentication Mode" on the phone page; overrides the profile.', V.CAPF_AUTH_MODES),
      authString: {
        type: ['string', 'integer'],
        description: 'CAPF "Authentication String" set on the phone page (4-10 digits).',
        pattern: '^[0-9]{4,10}$',
        patternErrorMessage: '4 to 10 digits',
        minimum: 0,
      },
      capfOperation: oneOf('"Certificate Operation" pending at boot. Default none.', V.CAPF_OPERATIONS),
      certificates: obj<D.PhoneCertificatesDocument>('Certificates the phone holds before the scenario starts.', {
        mic: { ...cert, type: ['boolean', 'object'], description: 'Manufacturing certificate: true/false, or its properties. Default: the model has one (Jabber has none).' },
        lsc: { ...cert, type: ['boolean', 'object'], description: 'Locally significant certificate already installed: true/false or its properties. Default false.' },
      }),
      offer: obj<D.OfferDocument>('Overrides what the model offers (the model defaults otherwise).', {
        tlsSuites: tlsSuites('TLS suites in the ClientHello, in order (IANA names).'),
        tlsVersions: tlsVersions('TLS versions the phone supports.'),
        srtpSuites: srtpSuites('SRTP suites in the SDP offer (a=crypto), in order.'),
      }),
    },
    ['model', 'mac'],
  );
}

function trunk(): JsonSchema {
  return obj<D.TrunkDocument>(
    'A SIP trunk between two clusters.',
    {
      description: str('What this trunk stands for.'),
      ends: map(
        'The two ends, keyed by cluster name.',
        obj<D.TrunkEndDocument>("One cluster's side of the trunk.", {
          profile: str('SIP Trunk Security Profile name (profiles.trunk). Default: a non-secure profile.'),
          port: int('Destination port towards the other end. Default 5061 when secure, 5060 otherwise.', 1, 65535),
          srtpAllowed: bool('"SRTP Allowed". Default false.'),
          node: str('The node of this cluster the trunk terminates on. Default the publisher.'),
        }),
        { minProperties: 2, maxProperties: 2 },
      ),
    },
    ['ends'],
  );
}

// ---- expectations -----------------------------------------------------------------------------------------------

const BLOCK_DESCRIPTION = 'What the step must observe. Each key is checked on every phone (or subject) of the step.';

function expectationProps(): Props<D.ExpectationBlock> {
  return {
    outcome: oneOf('ok: the action succeeded; failed: it did not. When neither this nor any outcome below is given, ok is expected.', V.STEP_OUTCOMES),
    reason: textMatch('Why the action failed (when outcome is failed).'),
    tls: obj<D.TlsExpectation>('The TLS connection the step used (SIP 5061, HTTPS config download, CAPF, TVS, trunk or probe).', {
      outcome: oneOrMany('Whether the handshake completed.', V.TLS_OUTCOMES),
      version: oneOrMany('Negotiated version (TLSv1, TLSv1.1, TLSv1.2, TLSv1.3).', V.TLS_VERSIONS),
      suite: oneOrMany('Negotiated suite (IANA name).', V.TLS_SUITE_NAMES),
      certificate: oneOrMany('Certificate the server presented, by purpose (e.g. CallManager, CallManager-ECDSA, tomcat).', V.PURPOSES),
      certificateType: oneOf('Key type of the server certificate.', V.CERTIFICATE_TYPES),
      clientCertificate: oneOf('Certificate the phone presented: lsc, mic or none.', V.CLIENT_CERTIFICATES),
      refusal: textMatch('Why the handshake was refused.'),
    }),
    registration: obj<D.RegistrationExpectation>('The SIP registration.', {
      outcome: oneOrMany('registered, refused (a final error response), failed (no usable connection), timeout.', V.REGISTRATION_OUTCOMES),
      status: numberMatch('SIP status code of the final REGISTER response.'),
      transport: oneOf('Transport the phone registered over.', ['TCP', 'UDP', 'TLS']),
      securityMode: oneOf('Device security mode the phone registered in.', V.DEVICE_SECURITY_MODES),
    }),
    call: obj<D.CallExpectation>('The call.', {
      outcome: oneOrMany('connected (answered), ringing, rejected (final error response), failed (no dialog), dropped.', V.CALL_OUTCOMES),
      status: numberMatch('SIP status code of the final INVITE response.'),
      state: oneOf('Call state after the step.', V.CALL_STATES),
      security: oneOf('Call security status the phones show (lock icon): encrypted, authenticated, non-secure.', V.CALL_SECURITY),
    }),
    media: obj<D.MediaExpectation>('Media streams of the call (each stream must match).', {
      srtp: bool('Whether the stream is SRTP.'),
      suite: oneOrMany('Negotiated SRTP suite (SDES crypto-suite).', V.SRTP_SUITE_NAMES),
      streams: numberMatch('Number of streams observed.'),
      packetsSent: numberMatch('RTP packets sent.'),
      packetsReceived: numberMatch('RTP packets received and accepted.'),
      authFailures: numberMatch('Packets refused by SRTP authentication.'),
      replays: numberMatch('Packets refused as replays.'),
      lost: numberMatch('Packets lost (sequence gaps).'),
      late: numberMatch('Packets arriving too late to play.'),
      jitterMs: numberMatch('Interarrival jitter in milliseconds (RFC 3550).'),
    }),
    enrollment: obj<D.EnrollmentExpectation>('The CAPF enrollment.', {
      outcome: oneOrMany('issued, refused (CAPF said no), failed (no session), not-attempted.', V.ENROLLMENT_OUTCOMES),
      authenticatedWith: oneOf('How the phone authenticated to CAPF.', V.ENROLLMENT_AUTH),
      keyType: oneOf('Key type of the issued LSC.', V.KEY_TYPES),
      keySize: numberMatch('Key size of the issued LSC in bits.'),
      issuer: oneOf('Who signed the LSC.', V.CERTIFICATE_ISSUERS),
      reason: textMatch('Why CAPF refused.'),
    }),
    trust: obj<D.TrustExpectation>(
      `What the phone decided about each item: ${V.TRUST_DECISIONS.join(', ')}.`,
      {
        ctl: oneOrMany('The CTL file.', V.TRUST_DECISIONS),
        itl: oneOrMany('The ITL file.', V.TRUST_DECISIONS),
        config: oneOrMany('The configuration file (signature, or accepted unsigned).', V.TRUST_DECISIONS),
        firmware: oneOrMany('The firmware image signature.', V.TRUST_DECISIONS),
        serverCertificate: oneOrMany('The SIP server (CallManager) certificate.', V.TRUST_DECISIONS),
        capfCertificate: oneOrMany('The CAPF certificate.', V.TRUST_DECISIONS),
        tvsCertificate: oneOrMany('The TVS certificate.', V.TRUST_DECISIONS),
        tvs: oneOf('What TVS answered the phone (TCP 2445).', V.TVS_RESULTS),
      },
    ),
    config: obj<D.ConfigExpectation>('The configuration file download.', {
      outcome: oneOrMany('downloaded, not-found, forbidden, decrypt-failed, rejected (bad signature).', V.CONFIG_OUTCOMES),
      file: textMatch('Name of the file the phone used (e.g. ".cnf.xml.enc.sgn").'),
      signed: bool('The file was signed.'),
      encrypted: bool('The file was encrypted.'),
      door: oneOf('Where it came from.', V.CONFIG_DOORS),
    }),
    cluster: obj<D.ClusterExpectation>('The cluster after the step.', {
      securityMode: oneOf('Cluster security mode.', V.CLUSTER_SECURITY_MODES),
      ctl: oneOf('Whether a CTL is published.', V.PRESENCE),
      itlSigner: oneOf('Who signs the ITL.', V.TRUST_LIST_SIGNERS),
      ctlSigner: oneOf('Who signs the CTL.', V.TRUST_LIST_SIGNERS),
      itlCertificates: obj<NonNullable<D.ClusterExpectation['itlCertificates']>>('Certificates in the ITL, by purpose.', {
        includes: list('Purposes that must have a record.', { enum: [...V.PURPOSES] }),
        excludes: list('Purposes that must not have a record.', { enum: [...V.PURPOSES] }),
      }),
      phoneResets: numberMatch('Phones the cluster reset because of the step.'),
      warnings: textMatch('A warning the cluster gave (e.g. regeneration out of order): matches when any warning does.'),
    }),
  };
}

const CATEGORY_DEFS: Record<string, string> = {
  tls: 'tlsExpectation',
  registration: 'registrationExpectation',
  call: 'callExpectation',
  media: 'mediaExpectation',
  enrollment: 'enrollmentExpectation',
  trust: 'trustExpectation',
  config: 'configExpectation',
  cluster: 'clusterExpectation',
};

/** The expectation keys, each category a shared definition (the top block and the per-phone blocks use them). */
function expectationRefs(): Props<D.ExpectationBlock> {
  const full = expectationProps();
  const out: Record<string, JsonSchema> = {};
  for (const [k, v] of Object.entries(full)) out[k] = CATEGORY_DEFS[k] ? ref(CATEGORY_DEFS[k]!) : v;
  return out as Props<D.ExpectationBlock>;
}

function expectationDefinitions(): Record<string, JsonSchema> {
  const full = expectationProps() as Record<string, JsonSchema>;
  return Object.fromEntries(Object.entries(CATEGORY_DEFS).map(([k, def]) => [def, full[k]!]));
}

// ---- steps ------------------------------------------------------------------------------------------------------

function callAction(verb: string, by: string): JsonSchema {
  return {
    ...obj<D.CallActionDocument>(`${verb} a call. Shorthand: the call id or a phone name.`, {
      call: str('Call id (call.id) or a phone name (its latest call).'),
      by: str(`The phone that acts. Default ${by}.`),
    }),
    type: ['string', 'object'],
    minLength: 1,
  };
}

function fault(): JsonSchema {
  const when = (type: string, then: JsonSchema): JsonSchema => ({ if: { properties: { type: { const: type } }, required: ['type'] }, then });
  return obj<D.FaultDocument>(
    'Injects a fault; it lasts until clearFault names it (or the scenario ends).',
    {
      type: oneOf(
        'tampered-itl (TFTP serves a tampered ITL), expired-certificate, wrong-certificate (from an unknown issuer), cipher-mismatch (phones offer only the given suites), capf-refusal, packet-corruption (SRTP), service-down.',
        V.FAULT_KINDS,
      ),
      id: str('Name for clearFault. Default fault-<n>.'),
      cluster: str('Cluster concerned. Default the first.'),
      node: str('Node concerned. Default the publisher.'),
      phones: phoneTargets('Phones affected. Default all.'),
      call: str('Call whose media is corrupted (packet-corruption).'),
      tamper: oneOf('What tampered-itl changes: signature (default), record, signer.', V.ITL_TAMPERING),
      certificate: oneOf('Certificate replaced (expired-certificate, wrong-certificate): a cluster purpose, or the phone\'s mic/lsc.', V.FAULT_CERTIFICATES),
      port: oneOf('expired-certificate, wrong-certificate: only this TLS door presents it (default every door presenting the purpose).', V.CERTIFICATE_FAULT_PORTS),
      tlsSuites: tlsSuites('cipher-mismatch: the only TLS suites the phones offer.'),
      srtpSuites: srtpSuites('cipher-mismatch: the only SRTP suites the phones offer.'),
      reason: oneOf('capf-refusal: why CAPF refuses.', V.CAPF_REFUSALS),
      corrupt: oneOf('packet-corruption: what is changed (payload, auth-tag, header) or replay (packets sent twice).', V.CORRUPTION_TARGETS),
      direction: oneOf('packet-corruption: which streams, from the phones\' point of view. Default both.', V.MEDIA_DIRECTIONS),
      rate: { type: 'number', description: 'packet-corruption: fraction of packets affected, 0-1. Default 0.01.', minimum: 0, maximum: 1 },
      service: oneOf('service-down: the service that stops answering.', V.CUCM_SERVICES),
    },
    ['type'],
    {
      allOf: [
        when('expired-certificate', { required: ['certificate'] }),
        when('wrong-certificate', { required: ['certificate'] }),
        when('cipher-mismatch', { anyOf: [{ required: ['tlsSuites'] }, { required: ['srtpSuites'] }] }),
        when('service-down', { required: ['service'] }),
      ],
    },
  );
}

function step(): JsonSchema {
  const bootObj = obj<D.BootDocument>(
    'Power on phones: DHCP, trust lists (CTL, ITL), configuration, firmware check, then SIP registration.',
    {
      phones: phoneTargets('Phones to boot.'),
      register: bool('Register after the configuration download. Default true.'),
      door: oneOf('Where the configuration is fetched. Default tftp.', V.CONFIG_DOORS),
    },
    ['phones'],
  );
  const phonesOr = (schema: JsonSchema): JsonSchema => ({ ...schema, type: ['string', 'array', 'object'], minLength: 1, items: { type: 'string', minLength: 1 }, minItems: 1 });
  const props: Props<D.StepDocument> = {
    name: str('Label shown in reports. Default: made from the action.'),
    expect: ref('expectation'),
    repeat: int('Run the step (or group) this many times in a row.', 1, 100000),
    timeout: duration('Time limit for the step. Default the scenario\'s stepTimeout.'),
    concurrency: int('How many phones (fan-out) or group members run at once. Default 16.', 1, 10000),
    boot: phonesOr(bootObj),
    register: phonesOr(
      obj<D.RegisterDocument>('(Re-)register already booted phones over SIP.', { phones: phoneTargets('Phones to register.') }, ['phones']),
    ),
    enroll: phonesOr(
      obj<D.EnrollDocument>(
        'CAPF enrollment (Certificate Operation, then the CAPF session on port 3804).',
        {
          phones: phoneTargets('Phones that enroll.'),
          authString: {
            type: ['string', 'integer'],
            description: 'The authentication string the user types on the phone (By Authentication String).',
            pattern: '^[0-9]{1,16}$',
            minimum: 0,
          },
          operation: oneOf('Certificate Operation. Default install-upgrade.', V.CAPF_OPERATIONS),
        },
        ['phones'],
      ),
    ),
    call: obj<D.CallDocument>(
      'Place a call (INVITE with SDES offer). With groups, calls pair the members in order.',
      {
        from: str('Calling phone (or group).'),
        to: str('Called phone (or group).'),
        dial: { type: ['string', 'integer'], description: 'Digits to dial instead of naming the called phone.', pattern: DN_PATTERN, minimum: 0 },
        id: str('Call id for later steps (answer, hold, hangup). Default c<step number>.', { pattern: NAME_PATTERN, patternErrorMessage: NAME_HINT }),
        via: str('Trunk the call must use (trunks).'),
        answer: bool('The called phone answers by itself. Default false (use an answer step).'),
        duration: duration('Talk time, then the caller hangs up (makes the step a whole call).'),
        media: obj<D.MediaDocument>('Media the phones send once connected.', {
          codec: oneOf('Codec. Default G711u.', V.CODECS),
          ptime: int('Packetization time in ms. Default 20.', 10, 120),
          packets: int('Packets per direction, instead of sending for the call\'s duration.', 1, 10000000),
        }),
      },
      ['from'],
    ),
    answer: callAction('Answer', 'the called phone'),
    hold: callAction('Put on hold', 'the calling phone'),
    resume: callAction('Resume', 'the phone that held it'),
    hangup: callAction('Hang up', 'the calling phone'),
    wait: duration('Let time pass (media keeps flowing).'),
    regenerate: {
      description: 'Regenerate a cluster certificate (Cisco Unified OS Administration > Certificate Management). Shorthand: the purpose.',
      anyOf: [
        { enum: [...V.PURPOSES] },
        obj<D.RegenerateDocument>(
          'Regenerate a certificate.',
          {
            certificate: oneOf('Purpose to regenerate.', V.PURPOSES),
            cluster: str('Cluster. Default the first.'),
            node: str('Node. Default the publisher.'),
            keyType: oneOf('New key type. Default unchanged.', V.KEY_TYPES),
            keySize: oneOf('New key size. Default unchanged.', V.KEY_SIZES),
            hash: oneOf('New hash. Default unchanged.', V.HASHES),
          },
          ['certificate'],
        ),
      ],
    },
    reset: phonesOr(
      obj<D.ResetDocument>('Reset phones (Device > Phone > Reset, or every phone of a cluster).', {
        phones: phoneTargets('Phones to reset. Default every phone of the cluster.'),
        cluster: str('Reset every phone of this cluster (Apply Config / Enterprise Parameters Reset).'),
        type: oneOf('restart (reload the configuration), reset (reboot, the default), reset-security-settings (erase CTL/ITL), factory (erase everything, LSC included).', V.RESET_TYPES),
      }),
    ),
    move: obj<D.MoveDocument>(
      'Point phones at another cluster (DHCP option 150) and reboot them.',
      { phones: phoneTargets('Phones to move.'), to: str('Destination cluster.') },
      ['phones', 'to'],
    ),
    cli: {
      description: 'Run an administration CLI command. Shorthand: the command.',
      anyOf: [
        { enum: [...V.CLI_COMMANDS] },
        obj<D.CliDocument>(
          'Run an administration CLI command.',
          {
            command: oneOf(`The command: ${V.CLI_COMMANDS.join('; ')}.`, V.CLI_COMMANDS),
            cluster: str('Cluster. Default the first.'),
            node: str('Node. Default the publisher.'),
          },
          ['command'],
        ),
      ],
    },
    restart: {
      description: 'Restart services (Control Center). Shorthand: the list of services.',
      anyOf: [
        list('Services to restart.', { enum: [...V.CUCM_SERVICES] }),
        obj<D.RestartDocument>(
          'Restart services.',
          { services: list('Services to restart.', { enum: [...V.CUCM_SERVICES] }), cluster: str('Cluster. Default the first.'), node: str('Node. Default every node.') },
          ['services'],
        ),
      ],
    },
    set: obj<D.SetDocument>('Change configuration mid-scenario: cluster parameters, or phone settings (with phones).', {
      cluster: str('Cluster. Default the first.'),
      securityMode: oneOf('Cluster security mode (as the CLI would set it).', V.CLUSTER_SECURITY_MODES),
      parameters: ref('enterpriseParameters'),
      capf: ref('capf'),
      phones: phoneTargets('Phones whose settings change.'),
      profile: str('New Phone Security Profile.'),
      authMode: oneOf('New CAPF Authentication Mode.', V.CAPF_AUTH_MODES),
      authString: { type: ['string', 'integer'], description: 'New CAPF Authentication String (4-10 digits).', pattern: '^[0-9]{4,10}$', minimum: 0 },
      capfOperation: oneOf('New Certificate Operation.', V.CAPF_OPERATIONS),
    }),
    importCertificates: obj<D.ImportCertificatesDocument>(
      'Bulk Certificate Management: export certificates of one cluster and import them into another.',
      {
        from: str('Cluster exporting.'),
        into: str('Cluster importing.'),
        certificates: list('Purposes exported. Default CallManager (the TFTP certificates).', { enum: [...V.PURPOSES] }),
        store: oneOf('Trust store they go into. Default Phone-SAST-trust.', V.TRUST_STORES),
      },
      ['from', 'into'],
    ),
    probe: obj<D.ProbeDocument>('A TLS handshake against a cluster port with a chosen ClientHello (cipher-fallback probing).', {
      cluster: str('Cluster. Default the first.'),
      node: str('Node. Default the publisher.'),
      port: int('Port. Default 5061.', 1, 65535),
      tlsSuites: tlsSuites('Suites offered, in order (IANA names). Default the cluster preset\'s.'),
      tlsVersions: tlsVersions('Versions offered. Default TLSv1.2.'),
      clientCertificate: oneOf('Client certificate presented: none (default), mic or lsc (of phone).', V.CLIENT_CERTIFICATES),
      phone: str('Phone whose certificate is presented.'),
    }),
    fault: ref('fault'),
    clearFault: {
      type: ['string', 'array'],
      description: 'End faults: a fault id, a list of ids, or "all".',
      minLength: 1,
      items: { type: 'string', minLength: 1 },
      minItems: 1,
    },
    parallel: list('Steps that run at the same time.', ref('step')),
    sequence: list('Steps that run one after the other (a block, e.g. to repeat).', ref('step')),
  };
  return {
    type: 'object',
    description: `One step: exactly one action (${V.STEP_KINDS.join(', ')}) plus name, expect, repeat, timeout, concurrency.`,
    properties: props,
    additionalProperties: false,
    anyOf: V.STEP_KINDS.map((k) => ({ required: [k] })),
  };
}

export function buildScenarioSchema(): JsonSchema {
  const top = obj<D.ScenarioDocument>(
    'A trustline scenario: a cluster (or several), security profiles, phones, trunks, and the steps they go through with expectations.',
    {
      name: str('Scenario name (reports, JUnit test suite).'),
      description: str('What the scenario shows.'),
      tags: list('Free labels for filtering.', { type: 'string', minLength: 1 }),
      references: list('Sources the scenario follows (e.g. "seed002 §17 S2").', { type: 'string', minLength: 1 }),
      timeout: duration('Time limit for the whole scenario. Default 10m.'),
      stepTimeout: duration('Default time limit per step. Default 60s.'),
      continueOnFailure: bool('Keep running the steps after a failed one (default false: the rest is skipped).'),
      cluster: ref('cluster'),
      clusters: named('Several clusters, keyed by name (use instead of cluster).', ref('cluster')),
      profiles: obj<D.ProfilesDocument>('Security profiles, keyed by name.', {
        phone: named('Phone Security Profiles.', ref('phoneProfile')),
        trunk: named('SIP Trunk Security Profiles.', ref('trunkProfile')),
      }),
      phones: named('Phones, keyed by name.', ref('phone')),
      trunks: named('SIP trunks between clusters, keyed by name.', ref('trunk')),
      steps: list('What happens, in order.', ref('step')),
    },
    ['name', 'steps'],
    // docker-compose style: top-level x-… keys are ignored, a place for YAML anchors
    { patternProperties: { '^x-': { description: 'Ignored: a place to put YAML anchors (x-phone: &phone {…}, then <<: *phone).' } } },
  );
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: SCHEMA_ID,
    title: 'trustline scenario',
    ...top,
    definitions: {
      cluster: cluster(),
      enterpriseParameters: enterpriseParameters(),
      certificateOptions: certificateOptions(),
      capf: capf(),
      phoneProfile: phoneProfile(),
      trunkProfile: trunkProfile(),
      phone: phone(),
      trunk: trunk(),
      fault: fault(),
      step: step(),
      expectation: obj<D.ExpectationDocument>(
        'What the step must observe. Top-level keys apply to every phone (subject) of the step; phones: gives per-phone expectations.',
        { ...expectationRefs(), phones: named('Expectations for one phone each, keyed by phone name.', ref('expectationBlock')) },
      ),
      expectationBlock: obj<D.ExpectationBlock>(BLOCK_DESCRIPTION, expectationRefs()),
      ...expectationDefinitions(),
      tlsSuite: { description: 'A TLS cipher suite by IANA name (ciphers/tls/suite-catalogue.ts).', enum: [...V.TLS_SUITE_NAMES] },
      srtpSuite: { description: 'An SRTP protection profile (ciphers/srtp/suites.ts).', enum: [...V.SRTP_SUITE_NAMES] },
      purpose: { description: 'A certificate purpose (engine/pki/purposes.ts).', enum: [...V.PURPOSES] },
      trustDecision: { description: 'A phone trust decision.', enum: [...V.TRUST_DECISIONS] },
    },
  };
}
