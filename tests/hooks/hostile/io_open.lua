-- reading a file
function validate(case)
  return io.open("/etc/passwd"):read("a")
end
