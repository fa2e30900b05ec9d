# The small chain of docs/engine.md §13, on the bundled rule base, in a new
# store: the application of §13.6's block (taken from the doc), and
#   sh chain.sh assess    its assessment on 2019-12-02 (§13.2)
#   sh chain.sh submit    its submission then (§13.3)
#   sh chain.sh list      `list` after it, nothing acted on (§13.1)
#   sh chain.sh overdue   `overdue` ten days later, on 2019-12-12 (§13.1)
set -eu
app=$(sed -n '/^### 13.6 A chain from the command line/,/^## /p' "$SRC/docs/engine.md" |
	sed -n "/^app='/,/}'\$/p" | sed "1s/^app='//; \$s/'\$//")
ot() { onetrip "$1" --db cases.db --rules "$SRC/rules" --now "$2" "$3"; }
case $1 in
assess) ot assess 2019-12-02T09:00 "$app" ;;
submit) ot submit 2019-12-02T09:00 "$app" ;;
list) ot submit 2019-12-02T09:00 "$app" >/dev/null && ot list 2019-12-02T09:00 '{}' ;;
overdue) ot submit 2019-12-02T09:00 "$app" >/dev/null && ot overdue 2019-12-12T09:00 '{}' ;;
esac
