/**
 * A stand-in for the native sam3clip_engine_builder, speaking its line protocol, for testing the
 * build-engines orchestration on machines without a GPU. Behaviour comes from environment
 * variables so each test picks it: FAKE_TRT_VERSION, FAKE_GPU (JSON or "none"), FAKE_FAIL_ON
 * (graph file name to fail on) + FAKE_FAIL_CODE, FAKE_ARGS_LOG (file that receives each call's args).
 */
import { chmodSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const SCRIPT = String.raw`#!/usr/bin/env node
const fs = require('node:fs');
const args = process.argv.slice(2);
const say = (o) => process.stdout.write(JSON.stringify(o) + '\n');
if (process.env.FAKE_ARGS_LOG) fs.appendFileSync(process.env.FAKE_ARGS_LOG, JSON.stringify(args) + '\n');
const gpu = process.env.FAKE_GPU === 'none' ? null : JSON.parse(process.env.FAKE_GPU || '{"name":"Fake GPU","computeCapability":"9.0","totalMemoryBytes":85899345920}');
say({ event: 'info', tensorrt: process.env.FAKE_TRT_VERSION || '11.1.0', headerVersion: '11.1.0', device: gpu });
if (args.includes('--probe')) process.exit(0);
const value = (flag) => args[args.indexOf(flag) + 1];
const onnx = value('--onnx');
if (process.env.FAKE_FAIL_ON && onnx.endsWith(process.env.FAKE_FAIL_ON)) {
  say({ event: 'error', code: process.env.FAKE_FAIL_CODE || 'E_TENSORRT', message: 'could not build ' + onnx });
  process.exit(1);
}
for (let step = 0; step < 4; step++) say({ event: 'progress', phase: 'Building engine', step, steps: 4 });
fs.writeFileSync(value('--out'), 'engine built from ' + onnx);
say({ event: 'done', engineBytes: 20, stronglyTyped: true });
`;

export function writeFakeEngineBuilder(dir: string): string {
  const file = path.join(dir, 'fake-engine-builder.js');
  writeFileSync(file, SCRIPT);
  chmodSync(file, 0o755);
  return file;
}
