/**
 * The project's own examples are in the house style (`symbic fmt --check` passes on them). The
 * reference-project fixture keeps the layout of the corpus it accompanies.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { formatText } from "../../compiler/format/format.js";
import { exampleSources } from "../helpers/corpus.js";

for (const f of exampleSources().filter((s) => s.name.startsWith("examples/"))) {
  test(`${f.name} is formatted`, async () => {
    const r = await formatText(f.text, f.name);
    assert.ok(r.ok, `${f.name} formats`);
    if (r.ok) assert.not.ok(r.changed, `${f.name} is not in the house style: run \`npx symbic fmt --write ${f.name}\``);
  });
}

test.run();
