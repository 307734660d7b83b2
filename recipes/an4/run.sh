#!/usr/bin/env bash
# AN4 (CMU census): spelled names, addresses and numbers, 1 h; a quick recipe on real speech.
#   ./run.sh [--config conf/small.yaml] [--data-dir YOUR_COPY] [--stage N] [--stop-stage N]
# Stages and options: ../common/corpus_recipe.sh. Results and expected figures: README.md.
cd "$(dirname "$0")"
corpus=an4
config=conf/small.yaml
word_lm=1
eval_splits=(dev test)
source ../common/corpus_recipe.sh
