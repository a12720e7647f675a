/**
 * Where a data command works: a local repo directory, or a graph on a server
 * (`--server URL|NAME`, `--graph ID`, `--profile NAME`, or the config's defaults;
 * docs/cli.md "Talking to a server"). Explicit flags win over a profile, a profile over
 * the defaults. The config file is read only when a flag or a missing repo asks for it,
 * so a command given a repo directory behaves as it always did.
 */
import { UsageError } from '../src/index.js';
import {
  configEntry,
  loadConfig,
  type LoadedConfig,
  type ProfileConfig,
} from './config/operator-config.js';
import { tokenFor } from './config/credentials.js';
import type { ServerTarget } from './remote/http-client.js';
import type { ReadFormat } from './read-formats.js';
import { resolveRepo } from './repo-arg.js';

export interface TargetOpts {
  uri?: string;
  server?: string;
  graph?: string;
  profile?: string;
}

export type Target =
  | { kind: 'local'; dir: string; output?: ReadFormat }
  | { kind: 'remote'; server: ServerTarget; output?: ReadFormat };

/** A server given as a URL or as the name of one in the config. */
export function serverTarget(
  loaded: LoadedConfig | undefined,
  server: string,
  graph: string | undefined,
): ServerTarget {
  const isUrl = /^https?:\/\//i.test(server);
  const url = isUrl
    ? server
    : configEntry<{ url: string }>(loaded ?? loadConfig(), 'servers', server).url;
  const token = tokenFor(isUrl ? undefined : server);
  return {
    url,
    ...(isUrl ? {} : { name: server }),
    ...(token !== undefined ? { token } : {}),
    ...(graph !== undefined ? { graph } : {}),
  };
}

function profileOf(loaded: LoadedConfig, name: string | undefined): ProfileConfig | undefined {
  return name === undefined ? undefined : configEntry<ProfileConfig>(loaded, 'profiles', name);
}

export function resolveTarget(positional: string | undefined, opts: TargetOpts): Target {
  const explicitRepo = positional ?? opts.uri;
  if (explicitRepo !== undefined && opts.server !== undefined)
    throw new UsageError(
      `give a repo or --server, not both ('${explicitRepo}', --server '${opts.server}')`,
      {
        repo: explicitRepo,
        server: opts.server,
      },
    );
  const profileName = opts.profile ?? (process.env.LANCELOG_PROFILE || undefined);
  const needConfig =
    explicitRepo === undefined || opts.server !== undefined || profileName !== undefined;
  if (!needConfig) {
    if (opts.graph !== undefined)
      throw new UsageError('--graph names a graph on a server: give --server too', {
        graph: opts.graph,
      });
    return { kind: 'local', dir: resolveRepo(positional, opts) };
  }
  const loaded = loadConfig();
  const profile = profileOf(loaded, profileName);
  const defaults = loaded.config.defaults;
  const output = profile?.output ?? defaults.output;
  const server =
    opts.server ??
    (explicitRepo === undefined
      ? (profile?.server ?? (profile?.store === undefined ? defaults.server : undefined))
      : undefined);
  if (server !== undefined) {
    const graph = opts.graph ?? profile?.graph ?? defaults.graph;
    return {
      kind: 'remote',
      server: serverTarget(loaded, server, graph),
      ...(output ? { output } : {}),
    };
  }
  if (opts.graph !== undefined)
    throw new UsageError('--graph names a graph on a server: give --server too', {
      graph: opts.graph,
    });
  const dir = explicitRepo ?? profile?.store ?? defaults.store;
  return { kind: 'local', dir: resolveRepo(dir, {}), ...(output ? { output } : {}) };
}
