-- written by tests/docs_examples.sh from an example of docs/hooks.md §15
return function(case, differ) end
