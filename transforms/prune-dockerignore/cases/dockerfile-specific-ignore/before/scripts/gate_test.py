print('gate')
