FROM 0


ENV 0="\" 0=" \ "