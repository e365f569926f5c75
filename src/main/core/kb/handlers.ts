import { randomBytes } from 'node:crypto';
import { kbSlice } from '../../../shared/contract/kb';
import { CoreError } from '../errors';
import { defineFeature } from '../feature';
import type { FeatureContext } from '../features';
import { auditActor } from '../audit/trail';
import type { AgentStream } from '../health/client';

/** Knowledge bases: documents on the host's worker, uploads, the test search and the bot's answer. */
export const kbFeature = defineFeature(kbSlice, ({ kb, hub }: FeatureContext) => {
  const watches = new Map<string, AgentStream>();
  const stopWatch = (id: string): boolean => {
    const w = watches.get(id);
    watches.delete(id);
    w?.close();
    return !!w;
  };
  return {
    'kb.list': (i) => kb.list(i.slug, i.host),
    'kb.upload': (i) => kb.uploads.fromPaths(i.slug, i.paths, auditActor(), i.host),
    'kb.uploadOpen': async (i, caller) => {
      const up = await kb.uploads.open(i.slug, i.filename, i.sizeBytes, auditActor(), i.host);
      if (caller.owner !== undefined) hub.whenGone(caller.owner, () => kb.uploads.abort(up.id));
      return up;
    },
    'kb.uploadPart': (i) => {
      const data = Buffer.from(i.data, 'base64');
      if (data.toString('base64') !== i.data.replace(/\s/g, ''))
        throw new CoreError('kb.upload-part', 'A part is not base64.', 'This is a bug in the caller.');
      return kb.uploads.part(i.id, i.offset, data);
    },
    'kb.uploadClose': (i) => kb.uploads.finish(i.id, i.sha256),
    'kb.uploadAbort': async (i) => {
      kb.uploads.abort(i.id);
      return { aborted: true };
    },
    'kb.cancel': (i) => kb.cancel(i.slug, i.job, i.host),
    'kb.delete': (i) => kb.remove(i.slug, i.document, auditActor(), i.host),
    'kb.reindex': (i) => kb.reindex(i.slug, auditActor(), i.document, i.host),
    'kb.chunks': (i) => kb.chunks(i.slug, i.document, i.offset, i.limit, i.host),
    'kb.search': (i) => kb.search(i.slug, i.query, i.topK, i.minScore, i.host),
    'kb.ask': (i) => kb.ask(i.slug, i.question, i.host),
    'kb.watch': async (i, caller) => {
      const stream = await kb.watch(i.slug, i.host);
      const watchId = `kbw-${randomBytes(6).toString('hex')}`;
      watches.set(watchId, stream);
      void stream.ended.then(() => watches.delete(watchId));
      if (caller.owner !== undefined) hub.whenGone(caller.owner, () => stopWatch(watchId));
      return { watchId };
    },
    'kb.unwatch': async (i) => ({ removed: stopWatch(i.watchId) }),
  };
});
