-- running a program
function validate(case)
  os.execute("touch /tmp/onetrip-pwned")
end
