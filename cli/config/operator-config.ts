/**
 * The operator config, `~/.lancelog/config.yaml` (`LANCELOG_CONFIG` names another file):
 * named servers (a URL, never a token), profiles, defaults and aliases
 * (docs/cli.md "Config"). Checked with zod; a defect is `ConfigInvalid` naming the file,
 * the line and the key, read from the YAML document's own positions.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { LancelogError } from '../../src/index.js';
import { READ_FORMATS } from '../read-formats.js';
import { configInvalid, parseYamlChecked } from './yaml-checked.js';

const Name = z.string().regex(/^[A-Za-z0-9._-]+$/, 'a name of letters, digits, ".", "_" or "-"');
const HttpUrl = z
  .string()
  .url()
  .refine((u) => /^https?:\/\//.test(u), 'an http:// or https:// URL');

const ServerSchema = z.strictObject({ url: HttpUrl });
const ProfileSchema = z
  .strictObject({
    server: Name.optional(),
    store: z.string().min(1).optional(),
    graph: Name.optional(),
    output: z.enum(READ_FORMATS).optional(),
  })
  .refine((p) => (p.server === undefined) !== (p.store === undefined), {
    message: 'a profile names exactly one of server or store',
  });
const AliasSchema = z.strictObject({
  server: Name,
  graph: Name.optional(),
  query: z.string().min(1),
  args: z.array(z.string().min(1)).default([]),
  params: z.record(z.string(), z.unknown()).default({}),
  format: z.enum(READ_FORMATS).optional(),
});
const DefaultsSchema = z.strictObject({
  output: z.enum(READ_FORMATS).optional(),
  server: Name.optional(),
  store: z.string().min(1).optional(),
  graph: Name.optional(),
});
const ConfigSchema = z.strictObject({
  servers: z.record(Name, ServerSchema).default({}),
  profiles: z.record(Name, ProfileSchema).default({}),
  defaults: DefaultsSchema.default({}),
  aliases: z.record(Name, AliasSchema).default({}),
});

export type OperatorConfig = z.infer<typeof ConfigSchema>;
export type AliasConfig = z.infer<typeof AliasSchema>;
export type ProfileConfig = z.infer<typeof ProfileSchema>;

/** The loaded config and where it came from (`exists` false: no file, all empty). */
export interface LoadedConfig {
  file: string;
  exists: boolean;
  config: OperatorConfig;
}

/** The config file's path: `$LANCELOG_CONFIG`, else `~/.lancelog/config.yaml`. */
export function configPath(): string {
  const env = process.env.LANCELOG_CONFIG;
  if (env !== undefined && env !== '') return env;
  return join(process.env.HOME ?? homedir(), '.lancelog', 'config.yaml');
}

/** The directory the credentials file lives in: the config file's. */
export function configDir(): string {
  return dirname(configPath());
}

/** Parses config text; every defect is `ConfigInvalid` with file, line and key. */
export function parseConfig(text: string, file: string): OperatorConfig {
  return parseYamlChecked(text, file, ConfigSchema, (key) =>
    key === 'token' ? ' (a token never goes in the config: use lancelog login)' : '',
  );
}

/** The operator config; no file at the default path is an empty config. */
export function loadConfig(): LoadedConfig {
  const file = configPath();
  const named = process.env.LANCELOG_CONFIG !== undefined && process.env.LANCELOG_CONFIG !== '';
  if (!existsSync(file)) {
    if (named) throw configInvalid(file, null, '', 'no such file (named by LANCELOG_CONFIG)');
    return { file, exists: false, config: ConfigSchema.parse({}) };
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw configInvalid(file, null, '', `cannot read: ${(err as Error).message}`);
  }
  return { file, exists: true, config: parseConfig(text, file) };
}

const SINGULAR = { servers: 'server', profiles: 'profile', aliases: 'alias' } as const;

/** A named entry of the config, or `ConfigNameNotFound` naming the file. */
export function configEntry<T>(
  loaded: LoadedConfig,
  kind: 'servers' | 'profiles' | 'aliases',
  name: string,
): T {
  const table = loaded.config[kind] as Record<string, T>;
  const one = SINGULAR[kind];
  if (!Object.prototype.hasOwnProperty.call(table, name)) {
    const known = Object.keys(table);
    throw new LancelogError(
      'ConfigNameNotFound',
      `no ${one} '${name}' in ${loaded.file}${known.length ? ` (known: ${known.join(', ')})` : ''}`,
      { kind: one, name, file: loaded.file },
    );
  }
  return table[name];
}
