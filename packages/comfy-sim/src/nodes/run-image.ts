import { createHash, randomInt } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { resolveAnnotated } from '../files/dirs.ts';
import { nextSavePath, SavePathError } from '../files/save-path.ts';
import { hashKey, renderImage, type ImageValue } from '../image/pattern.ts';
import { encodePng, readPngSize } from '../image/png.ts';
import { IMAGE_UPSCALE_METHODS } from './lists.ts';
import { NodeFailure, num, type LatentValue, type RunContext, type RunFn } from './run-types.ts';

function asImage(v: unknown): ImageValue {
  const img = v as ImageValue | undefined;
  if (!img || img.kind !== 'IMAGE')
    throw new NodeFailure('AttributeError', "'NoneType' object has no attribute 'shape'");
  return img;
}

/** json.dumps with ensure_ascii, so the text fits a latin-1 tEXt chunk. */
const asciiJson = (v: unknown) =>
  JSON.stringify(v).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

async function saveImages(
  img: ImageValue,
  ctx: RunContext,
  prefix: string,
  type: 'output' | 'temp',
  level: number,
) {
  const base = type === 'output' ? ctx.dirs.output : ctx.dirs.temp;
  let path;
  try {
    path = await nextSavePath(base, prefix, img.width, img.height);
  } catch (e) {
    if (e instanceof SavePathError) throw new NodeFailure('Exception', e.message);
    throw e;
  }
  const text: [string, string][] = [['prompt', asciiJson(ctx.prompt)]];
  const pnginfo = ctx.extraData['extra_pnginfo'];
  if (pnginfo && typeof pnginfo === 'object')
    for (const [k, v] of Object.entries(pnginfo)) text.push([k, asciiJson(v)]);
  const images = [];
  for (let b = 0; b < img.batch; b++) {
    const file = `${path.filename.replaceAll('%batch_num%', String(b))}_${String(path.counter).padStart(5, '0')}_.png`;
    await writeFile(
      join(path.folder, file),
      encodePng(img.width, img.height, renderImage(img, b), { text, level }),
    );
    images.push({ filename: file, subfolder: path.subfolder, type });
    path.counter++;
  }
  return { images };
}

const TEMP_LETTERS = 'abcdefghijklmnopqrstuvwxyz';

/** Image nodes that need no model: enough to replay the recorded model-free graphs. */
export const imageRunners: Record<string, RunFn> = {
  EmptyImage: (i) => {
    const img: ImageValue = {
      kind: 'IMAGE',
      width: num(i['width'], 512),
      height: num(i['height'], 512),
      batch: num(i['batch_size'], 1),
      fill: { type: 'solid', color: num(i['color']) },
      invert: false,
    };
    return { outputs: [img] };
  },
  ImageInvert: (i) => {
    const img = asImage(i['image']);
    return { outputs: [{ ...img, invert: !img.invert }] };
  },
  ImageScale: (i) => {
    const img = asImage(i['image']);
    if (!IMAGE_UPSCALE_METHODS.includes(i['upscale_method'] as never))
      throw new NodeFailure('KeyError', String(i['upscale_method']));
    let w = num(i['width']);
    let h = num(i['height']);
    if (w === 0 && h === 0) [w, h] = [img.width, img.height];
    else if (w === 0) w = Math.max(1, Math.round((img.width * h) / img.height));
    else if (h === 0) h = Math.max(1, Math.round((img.height * w) / img.width));
    return { outputs: [{ ...img, width: w, height: h }] };
  },
  ImageBlur: (i) => {
    const img = asImage(i['image']);
    const r = num(i['blur_radius'], 1);
    // Reflect padding needs radius < side, as torch's F.pad(mode='reflect') insists.
    const dim = r >= img.width ? 3 : r >= img.height ? 2 : 0;
    if (dim) {
      throw new NodeFailure(
        'RuntimeError',
        `Argument #4: Padding size should be less than the corresponding input dimension, but got: padding (${r}, ${r}) at dimension ${dim} of input [${img.batch}, 3, ${img.height}, ${img.width}]\n`,
      );
    }
    const fill =
      img.fill.type === 'solid'
        ? img.fill
        : { type: 'pattern' as const, key: hashKey([img.fill.key, 'blur', r, i['sigma']]) };
    return { outputs: [{ ...img, fill }] };
  },
  VAEDecode: (i) => {
    const l = i['samples'] as LatentValue;
    const vae = (i['vae'] as { key?: string } | undefined)?.key ?? '';
    const img: ImageValue = {
      kind: 'IMAGE',
      width: l.width,
      height: l.height,
      batch: l.batch,
      fill: { type: 'pattern', key: hashKey([l.key, vae]) },
      invert: false,
    };
    return { outputs: [img] };
  },
  LoadImage: async (i, ctx) => {
    const name = String(i['image']);
    const path = resolveAnnotated(ctx.dirs, name);
    const bytes = path ? await readFile(path).catch(() => null) : null;
    if (!bytes) throw new NodeFailure('FileNotFoundError', `[Errno 2] No such file or directory: '${name}'`);
    const size = readPngSize(bytes) ?? { width: 512, height: 512 };
    const img: ImageValue = {
      kind: 'IMAGE',
      ...size,
      batch: 1,
      fill: { type: 'pattern', key: createHash('sha256').update(bytes).digest('hex') },
      invert: false,
    };
    return { outputs: [img, { kind: 'MASK', key: 'mask' }] };
  },
  GetImageSize: (i, ctx) => {
    const img = asImage(i['image']);
    ctx.sendText(`width: ${img.width}, height: ${img.height}\n batch size: ${img.batch}`);
    return { outputs: [img.width, img.height, img.batch] };
  },
  SaveImage: async (i, ctx) => ({
    outputs: [],
    ui: await saveImages(
      asImage(i['images']),
      ctx,
      typeof i['filename_prefix'] === 'string' ? i['filename_prefix'] : 'ComfyUI',
      'output',
      4,
    ),
  }),
  PreviewImage: async (i, ctx) => {
    const suffix = Array.from({ length: 5 }, () => TEMP_LETTERS[randomInt(26)]).join('');
    return {
      outputs: [],
      ui: await saveImages(asImage(i['images']), ctx, `ComfyUI_temp_${suffix}`, 'temp', 1),
    };
  },
};
