/**
 * Issue 17: a real, independent LSP client — Neovim (headless, its built-in client) — drives the
 * server: diagnostics, hover, completion and formatting on a copy of the quick start. Skipped,
 * visibly, where `nvim` is not installed (CI installs it from Debian: .ci/run).
 */
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { REPO } from "../helpers/corpus.js";

const nvim = spawnSync("nvim", ["--version"], { encoding: "utf8" });
const available = nvim.status === 0;
const TSX = import.meta.resolve("tsx");

const SCRIPT = `
local out = {}
local file = vim.fn.argv(0)
vim.cmd("edit " .. file)
local buf = vim.api.nvim_get_current_buf()
local client_id = vim.lsp.start_client({
  name = "symbi",
  cmd = { vim.env.NODE, "--import", vim.env.TSX, vim.env.SERVER, "--stdio" },
  root_dir = vim.fn.fnamemodify(file, ":h"),
})
vim.lsp.buf_attach_client(buf, client_id)
vim.wait(20000, function() return #vim.diagnostic.get(buf) > 0 end, 50)
out.diagnostics = {}
for _, d in ipairs(vim.diagnostic.get(buf)) do
  table.insert(out.diagnostics, { code = d.code, line = d.lnum, message = d.message })
end
local function req(method, params)
  local r = vim.lsp.buf_request_sync(buf, method, params, 20000)
  if not r then return nil end
  for _, v in pairs(r) do return v.result end
end
local pos = vim.env.HOVER_AT
local line, col = pos:match("(%d+):(%d+)")
local tdp = { textDocument = { uri = vim.uri_from_bufnr(buf) }, position = { line = tonumber(line), character = tonumber(col) } }
local h = req("textDocument/hover", tdp)
out.hover = h and h.contents and (h.contents.value or h.contents) or vim.NIL
local c = req("textDocument/completion", tdp)
out.completion = {}
for _, item in ipairs((c and (c.items or c)) or {}) do table.insert(out.completion, item.label) end
local f = req("textDocument/formatting", { textDocument = { uri = vim.uri_from_bufnr(buf) }, options = { tabSize = 4, insertSpaces = true } })
out.formatting = f or vim.NIL
local fh = io.open(vim.env.OUT, "w")
fh:write(vim.fn.json_encode(out))
fh:close()
vim.lsp.stop_client(client_id)
vim.cmd("qa!")
`;

(available ? test : test.skip)(
  "neovim (headless, built-in LSP client): diagnostics, hover, completion and formatting",
  () => {
    const dir = mkdtempSync(join(tmpdir(), "symbi-nvim-"));
    try {
      cpSync(join(REPO, "examples/quickstart"), dir, { recursive: true });
      const file = join(dir, "agent.symbi");
      // A typo for a diagnostic, and a misplaced indentation for formatting.
      const text = readFileSync(file, "utf8")
        .replace("let small = factor(number);", "let small = factor(numbr);")
        .replace('        let big = "";', '  let big = "";');
      writeFileSync(file, text);
      writeFileSync(join(dir, "init.lua"), SCRIPT);
      const lines = text.split("\n");
      const hoverLine = lines.findIndex((l) => l.includes("let greeting = greet(name);"));
      const hoverCol = lines[hoverLine]!.indexOf("greet(") + 1;
      const r = spawnSync("nvim", ["--headless", "--clean", "-u", join(dir, "init.lua"), file], {
        cwd: dir,
        encoding: "utf8",
        timeout: 90_000,
        env: {
          ...process.env,
          NODE: process.execPath,
          TSX,
          SERVER: join(REPO, "lsp/main.ts"),
          OUT: join(dir, "out.json"),
          HOVER_AT: `${hoverLine}:${hoverCol}`,
        },
      });
      const out = JSON.parse(readFileSync(join(dir, "out.json"), "utf8")) as {
        diagnostics: Array<{ code: string; line: number; message: string }>;
        hover: string;
        completion: string[];
        formatting: Array<{ newText: string }>;
      };
      assert.ok(
        out.diagnostics.some((d) => d.code === "E0100" && d.message.includes("numbr")),
        `${JSON.stringify(out.diagnostics)}\n${r.stderr}`,
      );
      assert.match(out.hover, "greet");
      // The checker's scopes: the parameters, not `greeting` inside its own initialiser.
      assert.ok(out.completion.includes("name") && out.completion.includes("factor"), out.completion.join(","));
      assert.not.ok(out.completion.includes("greeting"));
      assert.ok(Array.isArray(out.formatting) && out.formatting.length > 0, JSON.stringify(out.formatting));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

test.run();
