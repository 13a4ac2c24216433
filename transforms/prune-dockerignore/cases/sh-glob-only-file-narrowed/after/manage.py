print('manage')
