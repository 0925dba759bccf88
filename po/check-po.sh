#!/bin/sh
# Checks one translation: msgfmt --check (formats, accelerators, header),
# nothing untranslated or fuzzy, and every string of the template present.
set -eu
po="$1"
pot="$2"
msgfmt --check -o /dev/null "$po"
stats=$(LC_ALL=C msgfmt --statistics -o /dev/null "$po" 2>&1)
echo "$po: $stats"
case "$stats" in
  *untranslated*|*fuzzy*) echo "$po is incomplete" >&2; exit 1 ;;
esac
msgcmp "$po" "$pot"
