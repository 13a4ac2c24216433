print("acme")
