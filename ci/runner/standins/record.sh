#!/bin/sh
# record.sh NAME: appends what a stand-in action was given (the JSON of its
# inputs, in $INPUTS) to $PAVED_STANDINS/records, one file per call, in
# order.
set -eu
dir="$PAVED_STANDINS/records"
mkdir -p "$dir"
n=$(ls "$dir" | wc -l)
printf '{"action":"%s","inputs":%s}\n' "$1" "$INPUTS" >"$dir/$(printf '%04d' "$n")-$1.json"
