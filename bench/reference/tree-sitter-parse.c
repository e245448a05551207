/*
 * Bench-only harness for the parser comparison (bench/README.md, "Parser against the
 * reference"): parses one file with the reference's tree-sitter grammar RUNS times and prints
 * one line per run, "cpu_ms wall_ms", after WARMUP untimed runs. The timed region is
 * ts_parser_parse_string alone (the tree is freed outside it), which is the reference's best
 * case. Exit 3 when the tree has an ERROR or MISSING node: the comparison needs input both
 * parsers accept.
 *
 * Built by bench/parser.bench.ts with the system C compiler against libtree-sitter and the
 * grammar's generated src/parser.c; never part of the product.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <tree_sitter/api.h>

const TSLanguage *tree_sitter_symbiont(void);

static double ms(clockid_t clock) {
  struct timespec t;
  clock_gettime(clock, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s FILE RUNS WARMUP\n", argv[0]);
    return 1;
  }
  FILE *f = fopen(argv[1], "rb");
  if (!f) {
    perror(argv[1]);
    return 1;
  }
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *text = malloc(size);
  if (!text || fread(text, 1, size, f) != (size_t)size) {
    fprintf(stderr, "cannot read %s\n", argv[1]);
    return 1;
  }
  fclose(f);
  int runs = atoi(argv[2]);
  int warmup = atoi(argv[3]);
  TSParser *parser = ts_parser_new();
  if (!ts_parser_set_language(parser, tree_sitter_symbiont())) {
    fprintf(stderr, "the grammar's ABI version is not supported by this libtree-sitter\n");
    return 1;
  }
  for (int i = 0; i < warmup + runs; i++) {
    double c0 = ms(CLOCK_PROCESS_CPUTIME_ID), w0 = ms(CLOCK_MONOTONIC);
    TSTree *tree = ts_parser_parse_string(parser, NULL, text, (uint32_t)size);
    double c1 = ms(CLOCK_PROCESS_CPUTIME_ID), w1 = ms(CLOCK_MONOTONIC);
    int bad = ts_node_has_error(ts_tree_root_node(tree));
    ts_tree_delete(tree);
    if (bad) {
      fprintf(stderr, "the reference parser reports a syntax error in %s\n", argv[1]);
      return 3;
    }
    if (i >= warmup) printf("%.3f %.3f\n", c1 - c0, w1 - w0);
  }
  ts_parser_delete(parser);
  free(text);
  return 0;
}
