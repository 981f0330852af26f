import { open, type FileHandle } from 'node:fs/promises';

/**
 * Follows a file that another process appends to, like `tail -f`: reads from `offset`, then
 * polls for more until stopped. Polling, not fs.watch: it works the same on every file system.
 */
export class LogFollower {
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private handle: FileHandle | undefined;
  private offset = 0;
  private readonly decoder = new TextDecoder('utf-8');

  constructor(
    private readonly path: string,
    private readonly onText: (text: string) => void,
    private readonly intervalMs = 250,
  ) {}

  start(): void {
    void this.tick();
  }

  /** Reads whatever is left, then stops. */
  async drain(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.readMore();
    await this.handle?.close().catch(() => {});
    this.handle = undefined;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    void this.handle?.close().catch(() => {});
    this.handle = undefined;
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    await this.readMore().catch(() => {});
    if (!this.stopped) this.timer = setTimeout(() => void this.tick(), this.intervalMs);
  }

  private reading: Promise<void> = Promise.resolve();

  /** One read at a time: a tick and a drain racing would both read from the same offset. */
  private readMore(): Promise<void> {
    this.reading = this.reading.then(() => this.readNow()).catch(() => {});
    return this.reading;
  }

  private async readNow(): Promise<void> {
    if (!this.handle) {
      try {
        this.handle = await open(this.path, 'r');
      } catch {
        return; // not created yet
      }
    }
    const buffer = Buffer.alloc(64 * 1024);
    for (;;) {
      const { bytesRead } = await this.handle.read(buffer, 0, buffer.length, this.offset);
      if (bytesRead === 0) return;
      this.offset += bytesRead;
      // stream: true keeps a multi-byte character split across reads intact
      const text = this.decoder.decode(buffer.subarray(0, bytesRead), { stream: true });
      if (text) this.onText(text);
    }
  }
}
