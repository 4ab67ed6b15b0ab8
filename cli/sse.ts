// A small Server-Sent Events reader over a fetch body: yields each event (comments, the
// heartbeats, are skipped). Enough of the spec for Cutover's stream: event, data, id, retry.
export interface ServerEvent {
  event: string;
  data: string;
  id?: string;
  retry?: number;
}

export async function* readEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<ServerEvent> {
  const decoder = new TextDecoder();
  let buffer = '';
  let retry: number | undefined; // applies from when it is sent, whether or not an event follows
  let event: { event?: string; id?: string; dataLines: string[] } = { dataLines: [] };
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let newline: number;
    while ((newline = buffer.search(/\r\n|\r|\n/)) >= 0) {
      if (newline === buffer.length - 1 && buffer.endsWith('\r')) break; // maybe half of a CRLF: wait for the rest
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + (buffer.startsWith('\r\n', newline) ? 2 : 1));
      if (line === '') {
        if (event.dataLines.length) yield { event: event.event ?? 'message', data: event.dataLines.join('\n'), id: event.id, retry };
        event = { dataLines: [] };
        continue;
      }
      if (line.startsWith(':')) continue; // a comment: the server's heartbeat
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') event.event = value;
      else if (field === 'data') event.dataLines.push(value);
      else if (field === 'id') event.id = value;
      else if (field === 'retry' && /^\d+$/.test(value)) retry = Number(value);
    }
  }
}
