import { imagesSlice, type AppEvent } from '../../../shared/contract';
import { defineFeature } from '../feature';
import type { FeatureContext } from '../features';

/** The host's image catalog, and shipping images to a host without a registry. */
export const imagesFeature = defineFeature(imagesSlice, ({ images, ops, emit }: FeatureContext) => ({
  'images.show': (i) => images.show(i.host),
  'images.set': (i) => images.set(i.host, i.changes),
  'images.ship': (i) =>
    ops.run(i.opId, 'images.ship', i.host, (op) =>
      images.ship(
        i.host,
        'file' in i ? { file: i.file } : { refs: i.refs },
        shipProgress(i.host, emit),
        op.signal,
      ),
    ),
}));

/** Bytes shipped to a host, as a `log` event every 64 MiB (source `images:<host>`). */
function shipProgress(host: string, emit: (e: AppEvent) => void): (bytes: number) => void {
  let last = 0;
  return (n) => {
    if (n - last < 64 * 2 ** 20) return;
    last = n;
    emit({
      type: 'log',
      source: `images:${host}`,
      level: 'info',
      message: `${(n / 2 ** 20).toFixed(0)} MiB sent`,
      at: new Date().toISOString(),
    });
  };
}
