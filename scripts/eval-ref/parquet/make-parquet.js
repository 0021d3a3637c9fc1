// Writes the Parquet test files of dev.mergelab.data (src/test/resources/parquet/) with an independent
// writer: arrow-rs's `parquet` crate through parquet-wasm, tables built with Apache Arrow JS (versions pinned in
// package.json / package-lock.json). Also writes expected.json (the rows as JSON: the Java values the reader
// must give) and a Hugging Face hub-cache tree for HubDatasets.
// Usage: (cd scripts/eval-ref/parquet && npm ci && node make-parquet.js ../../../src/test/resources/parquet)
const fs = require('fs');
const path = require('path');
const arrow = require('apache-arrow');
const pq = require('parquet-wasm');

const out = process.argv[2];
const dir = out;
fs.mkdirSync(dir, { recursive: true });

const strList = () => new arrow.List(new arrow.Field('item', new arrow.Utf8(), true));
const rows = [
  { id: 1n, small: 7, name: 'plain ascii', score: 0.5, half: 1.5, flag: true, tags: ['a', 'b'],
    choices: { text: ['yes', 'no'], label: ['A', 'B'] }, answer: 0 },
  { id: -2n, small: -2147483648, name: 'Unicode: é 東京 🧪 \u0000 nul', score: null, half: -0.25, flag: false,
    tags: [], choices: { text: ['x'], label: ['1'] }, answer: 1 },
  { id: 9007199254740993n, small: 2147483647, name: null, score: -1e300, half: null, flag: null, tags: null,
    choices: null, answer: null },
  { id: 4n, small: 0, name: '', score: Math.PI, half: 3.0, flag: true, tags: [null, 'c'],
    choices: { text: [], label: null }, answer: 3 },
  { id: 5n, small: 42, name: 'trailing space ', score: 2.5e-8, half: 0.0, flag: false, tags: ['d'],
    choices: { text: ['p', 'q', 'r'], label: ['A', 'B', 'C'] }, answer: 2 },
];

function table(rs) {
  const col = (key, type) => arrow.vectorFromArray(rs.map((r) => r[key]), type);
  return new arrow.Table({
    id: col('id', new arrow.Int64()),
    small: col('small', new arrow.Int32()),
    name: col('name', new arrow.Utf8()),
    score: col('score', new arrow.Float64()),
    half: col('half', new arrow.Float32()),
    flag: col('flag', new arrow.Bool()),
    tags: col('tags', strList()),
    choices: col('choices', new arrow.Struct([new arrow.Field('text', strList(), true),
      new arrow.Field('label', strList(), true)])),
    answer: col('answer', new arrow.Int8()),
  });
}

function write(file, t, configure) {
  const wasmTable = pq.Table.fromIPCStream(arrow.tableToIPC(t, 'stream'));
  let b = new pq.WriterPropertiesBuilder();
  b = configure(b);
  fs.writeFileSync(file, pq.writeParquet(wasmTable, b.build()));
}

const all = table(rows);
write(path.join(dir, 'types-snappy.parquet'), all, (b) => b.setCompression(pq.Compression.SNAPPY));
write(path.join(dir, 'types-zstd.parquet'), all, (b) => b.setCompression(pq.Compression.ZSTD));
write(path.join(dir, 'types-gzip-v2-rowgroups.parquet'), all, (b) => b.setCompression(pq.Compression.GZIP)
  .setWriterVersion(pq.WriterVersion.V2).setMaxRowGroupSize(2));
write(path.join(dir, 'types-plain-uncompressed.parquet'), all, (b) => b.setCompression(pq.Compression.UNCOMPRESSED)
  .setDictionaryEnabled(false));
write(path.join(dir, 'empty.parquet'), table([]), (b) => b.setCompression(pq.Compression.SNAPPY));

// What the reader must give: longs for all integer columns, doubles for floating point, lists, structs as maps.
const expected = rows.map((r) => ({ ...r, id: r.id.toString() }));
fs.writeFileSync(path.join(dir, 'expected.json'), JSON.stringify(expected, null, 1) + '\n');

// Malformed files, cut from a valid one.
const good = fs.readFileSync(path.join(dir, 'types-snappy.parquet'));
fs.writeFileSync(path.join(dir, 'bad-truncated.parquet'), good.subarray(0, Math.floor(good.length / 2)));
fs.writeFileSync(path.join(dir, 'bad-no-footer.parquet'), good.subarray(0, good.length - 8));
fs.writeFileSync(path.join(dir, 'bad-empty.parquet'), Buffer.alloc(0));
fs.writeFileSync(path.join(dir, 'bad-text.parquet'), Buffer.from('id,name\n1,not parquet\n'));
const hugeFooter = Buffer.from(good);
hugeFooter.writeUInt32LE(0x7ffffff0, good.length - 8);
fs.writeFileSync(path.join(dir, 'bad-footer-length.parquet'), hugeFooter);
const garbled = Buffer.from(good);
const footerLen = good.readUInt32LE(good.length - 8);
for (let i = good.length - 8 - footerLen; i < good.length - 8; i += 7) garbled[i] ^= 0x5a;
fs.writeFileSync(path.join(dir, 'bad-footer-garbled.parquet'), garbled);
// A valid footer over page bytes that are not what it says (data of the zstd file under the snappy footer).
const zstd = fs.readFileSync(path.join(dir, 'types-zstd.parquet'));
const pages = Buffer.from(good);
zstd.copy(pages, 4, 4, Math.min(zstd.length, good.length) - 8 - footerLen);
fs.writeFileSync(path.join(dir, 'bad-pages.parquet'), pages);

// A Hugging Face hub cache (huggingface_hub's layout) with one dataset, two revisions, refs/main.
const hub = path.join(out, 'hub', 'datasets--mergelab--tiny_arc');
const revMain = '0123456789abcdef0123456789abcdef01234567';
const revOld = 'fedcba9876543210fedcba9876543210fedcba98';
const arc = (n) => new arrow.Table({
  id: arrow.vectorFromArray([`q${n}`], new arrow.Utf8()),
  question: arrow.vectorFromArray([`Question ${n}?`], new arrow.Utf8()),
});
for (const [rev, names] of [[revMain, ['ARC-Easy/test-00000-of-00002.parquet', 'ARC-Easy/test-00001-of-00002.parquet',
  'ARC-Easy/train-00000-of-00001.parquet', 'ARC-Challenge/test-00000-of-00001.parquet']],
[revOld, ['ARC-Easy/test-00000-of-00001.parquet']]]) {
  names.forEach((n, i) => {
    const f = path.join(hub, 'snapshots', rev, n);
    fs.mkdirSync(path.dirname(f), { recursive: true });
    write(f, arc(i), (b) => b.setCompression(pq.Compression.SNAPPY));
  });
}
fs.mkdirSync(path.join(hub, 'refs'), { recursive: true });
fs.writeFileSync(path.join(hub, 'refs', 'main'), revMain);
console.log(`parquet-wasm ${JSON.parse(fs.readFileSync(path.join(__dirname, 'node_modules/parquet-wasm/package.json'))).version}, apache-arrow ${JSON.parse(fs.readFileSync(path.join(__dirname, 'node_modules/apache-arrow/package.json'))).version}`);
