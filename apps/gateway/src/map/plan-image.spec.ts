import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { MAX_PLAN_DIMENSION, sniffPlanImage } from './plan-image';

describe('sniffPlanImage()', () => {
  it('reads the size of a real PNG and a real JPEG (with an EXIF segment before the frame header)', async () => {
    const png = await sharp({ create: { width: 321, height: 123, channels: 3, background: '#fff' } }).png().toBuffer();
    const jpeg = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#333' } }).withMetadata({ exif: { IFD0: { Copyright: 'x'.repeat(2000) } } }).jpeg().toBuffer();
    expect(sniffPlanImage(png, 'image/png')).toEqual({ contentType: 'image/png', width: 321, height: 123 });
    expect(sniffPlanImage(jpeg, 'image/jpeg')).toEqual({ contentType: 'image/jpeg', width: 64, height: 48 });
  });

  it.each([
    ['text', Buffer.from('hello, not an image at all')],
    ['empty', Buffer.alloc(0)],
    ['a PNG signature without IHDR', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x41, 0x41, 0x41, 0x41, 0, 0, 0, 1, 0, 0, 0, 1])],
    ['a JPEG start without a frame header', Buffer.from([0xff, 0xd8, 0xff, 0xd9])],
    ['a JPEG segment of length 0', Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x00, 0, 0])],
  ])('%s is refused with MAP_PLAN_NOT_IMAGE', (_name, bytes) => {
    expect(() => sniffPlanImage(bytes, 'image/png')).toThrow(expect.objectContaining({ code: 'MAP_PLAN_NOT_IMAGE' }));
  });

  it('a PNG sent as image/jpeg, or one wider than MAX_PLAN_DIMENSION, is refused with MAP_PLAN_NOT_IMAGE', async () => {
    const png = await sharp({ create: { width: 2, height: 2, channels: 3, background: '#fff' } }).png().toBuffer();
    expect(() => sniffPlanImage(png, 'image/jpeg')).toThrow(/sent as image\/jpeg/);
    const wide = Buffer.from(png);
    wide.writeUInt32BE(MAX_PLAN_DIMENSION + 1, 16);
    expect(() => sniffPlanImage(wide, 'image/png')).toThrow(expect.objectContaining({ code: 'MAP_PLAN_NOT_IMAGE' }));
  });
});
