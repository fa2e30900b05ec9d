# The damaged store of docs/engine.md §9.2, as its session makes it (60
# school buildings on the contract rules, page 64 zeroed), and `onetrip
# store check --json` of it, which exits 1: problems found.
set -eu
sh "$SRC/tests/docs/engine/cli.sh"
for i in $(seq 1 60); do
	onetrip submit --db var/onetrip.db --rules contract.rules --now 2019-09-27T09:00 school.json >/dev/null
done
dd if=/dev/zero of=var/onetrip.db bs=4096 seek=63 count=1 conv=notrunc status=none
onetrip store check --json var/onetrip.db || [ $? = 1 ]
