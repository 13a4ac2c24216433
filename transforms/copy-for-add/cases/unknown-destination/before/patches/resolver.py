def resolve(handle):
    return handle
