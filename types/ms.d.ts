// ms 3 ships types its package.json "exports" do not point at, so NodeNext resolution
// cannot find them; this is the part of its API Cutover uses.
declare module 'ms' {
  export default function ms(value: string): number;
}
