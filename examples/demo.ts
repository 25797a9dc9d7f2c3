// The demo behind `npm run demo`: starts the example server, makes one call of
// each kind with the generated client, prints what came back, and exits.
import { Channel, Server } from "tsgrpc";
import { GreeterClient } from "./gen/greeter/v1/greeter_grpc.js";
import { GreeterService } from "./greeter-service.js";

const server = new Server().add(new GreeterService());
const { port } = await server.listen({ host: "127.0.0.1", port: 0 });
console.log(`server listening on 127.0.0.1:${port}\n`);

await using channel = new Channel(`127.0.0.1:${port}`);
const greeter = new GreeterClient(channel, { timeout: 5_000 });

// Unary
const reply = await greeter.sayHello({ name: "Ada" }, { onTrailer: (t) => console.log(`  (trailer x-served-by: ${t.get("x-served-by")})`) });
console.log(`unary            SayHello        -> ${reply.message}`);

// Server streaming
const replies = greeter.lotsOfReplies({ name: "Grace", count: 3 });
for await (const r of replies) console.log(`server streaming LotsOfReplies   -> ${r.message}`);

// Client streaming
const summary = await greeter.lotsOfGreetings([{ name: "Alan" }, { name: "Barbara" }, { name: "Edsger" }]);
console.log(`client streaming LotsOfGreetings -> ${summary.message}`);

// Bidi streaming, with the full-control form: send and receive one at a time.
const chat = greeter.open.bidiHello();
for (const name of ["Linus", "Margaret"]) {
  await chat.send({ name });
  const answer = await chat.receive();
  console.log(`bidi streaming   BidiHello       -> ${answer?.message}`);
}
chat.end();
await chat.receive();
console.log(`\nbidi status: ${(await chat.status).code === 0 ? "OK" : "failed"}`);

await channel.close();
await server.close();
console.log("demo done");
