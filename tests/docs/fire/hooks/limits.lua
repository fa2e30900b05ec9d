-- hooks/limits.lua: 消防审查的界限值, 由支队每年公布
return { height = "100", occupancy = 1000 }
