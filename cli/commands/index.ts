// Every subcommand module registers itself here; keep one line per module.
import type { Command } from 'commander';
import { registerVersion } from './version.js';
import { registerSrtp } from './srtp.js';
import { registerTlv } from './tlv.js';
import { registerPki } from './pki.js';
import { registerBench } from './bench.js';
import { registerProbe } from './probe.js';
import { registerCluster } from './cluster.js';
import { registerRun } from './run.js';
import { registerPhone } from './phone.js';

export type RegisterCommand = (program: Command) => void;

export const commands: RegisterCommand[] = [registerVersion, registerSrtp, registerTlv, registerPki, registerBench, registerProbe, registerCluster, registerPhone, registerRun];
