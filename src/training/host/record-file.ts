/** A run record's identity: the record id rule. Records are written with `data/write-atomic.ts`. */
import { randomBytes } from 'node:crypto';

const RECORD_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

/** A new record id: sortable by time, readable, unique: `20261128-190512-compare-fashion-mlp-3f9a`. */
export function newRecordId(kind: 'train' | 'compare', modelName: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const slug =
    modelName
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 40) || 'model';
  return `${stamp}-${kind}-${slug}-${randomBytes(2).toString('hex')}`;
}

export function isRecordId(id: string): boolean {
  return RECORD_ID.test(id);
}
