// Runs the CLI straight from the TypeScript sources (node --import tsx cli/dev.ts ...), for tests and development.
import { runCli } from './main.js';

process.exitCode = await runCli(process.argv);
