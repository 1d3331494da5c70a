// Verifies one webhook delivery with the svix library (the reference Standard Webhooks verifier).
// stdin: {"secret": "whsec_…", "body": "<raw body>", "headers": {"webhook-id": …, "webhook-timestamp": …, "webhook-signature": …}}
// Exit 0 and print the parsed payload's eventId when it verifies; exit 1 with the error otherwise.
import { Webhook } from "svix";

let input = "";
for await (const chunk of process.stdin) input += chunk;
try {
  const { secret, body, headers } = JSON.parse(input);
  const payload = new Webhook(secret).verify(body, headers);
  process.stdout.write(String(payload.eventId ?? ""));
} catch (e) {
  process.stderr.write(`${e?.name ?? "Error"}: ${e?.message ?? e}\n`);
  process.exit(1);
}
