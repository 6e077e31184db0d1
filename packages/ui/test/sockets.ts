/** Raw client sockets for the tests of how the server treats slow or half-open connections. */
import { once } from "node:events";
import { connect, type Socket } from "node:net";

/** A raw connection that keeps its side open when the server ends its own (so a half-close shows). */
export async function rawSocket(port: number): Promise<Socket> {
  const socket = connect({ port, host: "127.0.0.1", allowHalfOpen: true });
  socket.on("error", () => {});
  await once(socket, "connect");
  return socket;
}

/** Resolves when the socket has closed (an error on the way is part of closing). */
export const closedOf = (socket: Socket) => new Promise<void>((resolve) => socket.once("close", () => resolve()));

/**
 * Writes `head` (when not empty), then `drip` a byte at a time, over and over, until the socket closes;
 * resolves with what the server sent. The socket keeps its side open, so it closes only once the
 * server destroyed its own (a write then fails: EPIPE, ECONNRESET): a server that only half-closed,
 * or kept the connection, never lets this resolve.
 */
export async function dripUntilClosed(socket: Socket, head: string, drip: string): Promise<string> {
  let received = "";
  socket.on("data", (d: Buffer) => {
    received += d.toString();
  });
  const closed = closedOf(socket);
  if (head !== "") socket.write(head);
  let i = 0;
  const timer = setInterval(() => {
    if (!socket.destroyed) socket.write(drip[i++ % drip.length]!);
  }, 20);
  await closed;
  clearInterval(timer);
  return received;
}
