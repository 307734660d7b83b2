#!/usr/bin/env bash
# LJSpeech 1.1: one speaker, 24 h; char BiGRU-CTC the size of the keras.io CTC example, on a fixed seeded split.
#   ./run.sh [--config conf/medium.yaml] [--data-dir YOUR_COPY] [--stage N] [--stop-stage N]
# Stages and options: ../common/corpus_recipe.sh. Results and expected figures: README.md.
cd "$(dirname "$0")"
corpus=ljspeech
config=conf/medium.yaml
word_lm=1
eval_splits=(dev test)
source ../common/corpus_recipe.sh
