# docs/scenarios.md §7: bad.scenario, whose third line has a misspelt
# expectation at its column 10.
cat > bad.scenario <<'END'
scenario "a mistake" {
  rules "rules"
  expect stauts in_progress
}
END
