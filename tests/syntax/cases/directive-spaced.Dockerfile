#   ESCAPE = `  
FROM a
RUN a `
 b
