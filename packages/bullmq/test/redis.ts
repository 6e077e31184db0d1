export { freePort, type RedisServer, startRedis } from "@hamilton-ts/testing";
