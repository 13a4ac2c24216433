from a as B
run echo x
copy a b
