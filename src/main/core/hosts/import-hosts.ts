import { homedir } from 'node:os';
import { join } from 'node:path';
import type { HostView, ImportPreview } from '../../../shared/contract';
import { CoreError } from '../errors';
import { pinIdOf } from '../ssh/hostkey';
import { readSshConfig } from '../ssh/sshconfig';
import type { HostRecord } from '../store/schema';
import { DEFAULT_STATE_DIR } from '../audit/trail';
import { planImport, readKnownHostsFiles } from './importer';
import {
  expandHome,
  hostExists,
  knownHostsPathsOf,
  sshDirOf,
  toView,
  type HostDeps,
  type ImportSource,
} from './records';

/** Importing hosts from the operator's OpenSSH config: the preview, then the chosen aliases. */

/** What importing an OpenSSH client config would add; reads files only. */
export async function importPreview(d: HostDeps, src: ImportSource = {}): Promise<ImportPreview> {
  const configPath = expandHome(src.configPath ?? join(sshDirOf(d.sshHome), 'config'));
  const config = await readSshConfig(configPath, { home: d.sshHome ?? homedir() });
  const known = await readKnownHostsFiles(knownHostsPathsOf(d.sshHome, src.knownHostsPath));
  if (src.knownHostsPath && known.read.length === 0)
    throw new CoreError(
      'import.known-hosts-missing',
      `The known_hosts file ${src.knownHostsPath} does not exist.`,
      'Give the path of an OpenSSH known_hosts file, or leave it empty for ~/.ssh/known_hosts.',
    );
  const data = await d.store.read();
  const candidates = await planImport(config.hosts, known.entries, data, {
    sshDir: sshDirOf(d.sshHome),
    agent: Boolean(process.env.SSH_AUTH_SOCK),
  });
  return {
    configPath,
    knownHostsPaths: known.read,
    candidates,
    warnings: [...config.warnings, ...known.warnings],
  };
}

/**
 * Import the chosen aliases of a config, with the jump hosts they need. Keys are pinned only from
 * known_hosts (the operator trusted them in OpenSSH); the others wait for confirmation. Nothing
 * is connected to; one store update adds them all or none.
 */
export async function importHosts(
  d: HostDeps,
  src: ImportSource,
  aliases: readonly string[],
): Promise<{ added: HostView[]; skipped: { alias: string; reason: string }[] }> {
  const preview = await importPreview(d, src);
  const byAlias = new Map(preview.candidates.map((c) => [c.alias, c]));
  const skipped: { alias: string; reason: string }[] = [];
  const wanted = new Set<string>();
  const want = (alias: string, depth: number): void => {
    const c = byAlias.get(alias);
    if (!c || depth > 32) return;
    if (c.action !== 'add') {
      if (depth === 0) skipped.push({ alias, reason: c.note ?? `Nothing to do (${c.action}).` });
      return;
    }
    wanted.add(alias);
    for (const j of c.jump) {
      const hop = preview.candidates.find((x) => x.name === j && x.action === 'add');
      if (hop) want(hop.alias, depth + 1);
    }
  };
  for (const alias of new Set(aliases)) {
    if (!byAlias.has(alias)) {
      skipped.push({ alias, reason: `There is no Host '${alias}' in ${preview.configPath}.` });
      continue;
    }
    want(alias, 0);
  }
  const chosen = preview.candidates.filter((c) => wanted.has(c.alias));
  const known = await readKnownHostsFiles(knownHostsPathsOf(d.sshHome, src.knownHostsPath));
  const now = new Date().toISOString();
  const added = await d.store.update((data) => {
    const views: HostView[] = [];
    for (const c of chosen) {
      if (data.hosts.some((h) => h.name.toLowerCase() === c.name.toLowerCase())) throw hostExists(c.name);
      const record: HostRecord = {
        name: c.name,
        kind: 'ssh',
        address: c.address,
        port: c.port,
        user: c.user,
        auth:
          c.authKind === 'keyFile' && c.keyFile ? { kind: 'keyFile', path: c.keyFile } : { kind: 'agent' },
        dockerSocket: '/var/run/docker.sock',
        jump: c.jump,
        labels: {},
        baseDomain: null,
        registryMirror: null,
        stateDir: DEFAULT_STATE_DIR,
        addedAt: now,
        lastCheck: null,
      };
      data.hosts.push(record);
      // A known_hosts line names the host, not the route (OpenSSH checks a ProxyJump target by
      // its HostName too): it is the operator's own trust for that name, pinned for this route.
      const id = pinIdOf(record, data.hosts);
      const key = c.knownKey
        ? known.entries.find(
            (e) => e.source === c.knownKey?.source && e.fingerprint === c.knownKey.fingerprint,
          )
        : undefined;
      if (key && id !== null && !data.knownHosts[id]) {
        data.knownHosts[id] = {
          algorithm: key.keyType,
          fingerprint: key.fingerprint,
          key: key.key.toString('base64'),
          pinnedAt: now,
          source: `known_hosts ${key.source}`,
        };
      }
      views.push(toView(record, data));
    }
    return views;
  });
  if (added.length > 0) d.emit({ type: 'hosts.changed' });
  return { added, skipped };
}
