/**
 * Whether this checkout has the OpenVINO backend's module where lib/openvino-addon.ts looks for it,
 * and has not turned it off: then capabilities().openvino must be reported, else null with a reason.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '../..');

export function openvinoModuleExpected(): boolean {
  if (process.env.SAM3CLIP_OPENVINO === '0') return false;
  return [
    path.join(root, 'build', 'Release', 'sam3clip_openvino.node'),
    path.join(root, 'prebuilds', `${process.platform}-${process.arch}`, 'openvino', 'sam3clip_openvino.node'),
  ].some((file) => existsSync(file));
}
