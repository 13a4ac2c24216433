FROM a
RUN <<-EOT bash
	echo hi
	EOT
CMD x
