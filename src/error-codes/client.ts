/**
 * Error codes of one area (the table is src/error-codes.ts). The CLI as a client: the
 * operator config and credentials files, and talking to a `lancelog serve` over HTTP
 * (docs/cli.md "Talking to a server", "Config").
 */
import type { ErrorCodeSpec } from './spec.js';

export const CLIENT_CODES = {
  ConfigInvalid: {
    classes: ['LancelogError'],
    exit: 1,
    http: 400,
    details: ['file', 'line', 'key', 'issues'],
  },
  ConfigNameNotFound: {
    classes: ['LancelogError'],
    exit: 1,
    http: 404,
    details: ['kind', 'name', 'file'],
  },
  CredentialsInsecure: {
    classes: ['LancelogError'],
    exit: 1,
    http: 400,
    details: ['file', 'mode'],
  },
  LocalOnlyCommand: { classes: ['LancelogError'], exit: 2, http: 400, details: ['command'] },
  RemoteUnsupported: {
    classes: ['LancelogError'],
    exit: 2,
    http: 400,
    details: ['command', 'option'],
  },
  ServerResponseInvalid: {
    classes: ['LancelogError'],
    exit: 1,
    http: 500,
    details: ['url', 'status', 'cause'],
  },
  ServerUnreachable: { classes: ['LancelogError'], exit: 1, http: 500, details: ['url', 'cause'] },
} as const satisfies Record<string, ErrorCodeSpec>;
