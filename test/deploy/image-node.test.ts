// The Node.js the image runs is the one npm test runs every test on a second time (installed by
// the tool bootstrap where the machine's is older), so the image never runs an untested Node.js.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

it("the image's Node.js major is the one npm test also runs the suite on", () => {
  const image = /^ARG NODE_IMAGE=node:(\d+)-/m.exec(read('Dockerfile'))?.[1];
  const tested = /^NODE24_VERSION=(\d+)\./m.exec(read('scripts/tools.sh'))?.[1];
  expect(image).toMatch(/^\d+$/);
  expect(tested).toBe(image);
});
