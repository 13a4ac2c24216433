print('patched')
