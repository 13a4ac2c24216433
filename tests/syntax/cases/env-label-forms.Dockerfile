FROM a
ENV A=1 B="two words" C=three\ words
ENV OLD some value here
ENV D=
LABEL version="1.0" maintainer=me
LABEL "quoted key"=v
ENV E=a\
    F=b
