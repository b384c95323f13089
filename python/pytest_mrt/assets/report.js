(function(){
  var sev=document.querySelectorAll('input[name=sev]'),clean=document.getElementById('clean'),
      q=document.getElementById('q'),cards=[].slice.call(document.querySelectorAll('.card'));
  function state(){var s={};sev.forEach(function(b){s[b.value]=b.checked});return s}
  function apply(){
    var s=state(),text=q.value.trim().toLowerCase(),shown=0,hidden={};
    cards.forEach(function(c){
      var rows=[].slice.call(c.querySelectorAll('tr.finding')),visible=0;
      rows.forEach(function(r){var on=!!s[r.dataset.severity];r.hidden=!on;if(on)visible++});
      // A failed rollback always shows; otherwise a card shows when one of its findings
      // passes the severity filter, or when it has none and clean revisions are wanted.
      var keep=['failed','upgrade_fails_on_data','unverified','blocked'].indexOf(c.dataset.verdict)>=0||(rows.length?visible>0:clean.checked);
      if(text&&c.dataset.text.indexOf(text)<0&&c.textContent.toLowerCase().indexOf(text)<0)keep=false;
      c.hidden=!keep;if(keep)shown++;else hidden[c.id]=1;
    });
    document.querySelectorAll('.graph a').forEach(function(a){
      a.classList.toggle('dim',!!hidden[a.getAttribute('href').slice(1)])});
    document.getElementById('shown').textContent=shown+' of '+cards.length+' revisions shown';
    var h=[];sev.forEach(function(b){if(b.checked)h.push(b.value)});
    var hash='sev='+h.join(',')+(clean.checked?'':'&clean=0')+(text?'&q='+encodeURIComponent(text):'');
    if(location.hash.slice(1)!==hash)history.replaceState(null,'','#'+hash);
  }
  // Filters round-trip through the URL hash, so a link can share a filtered view.
  var params={};location.hash.slice(1).split('&').forEach(function(kv){
    var i=kv.indexOf('=');if(i>0)params[kv.slice(0,i)]=decodeURIComponent(kv.slice(i+1))});
  if('sev' in params){var on=params.sev.split(',');sev.forEach(function(b){b.checked=on.indexOf(b.value)>=0})}
  if(params.clean==='0')clean.checked=false;if(params.q)q.value=params.q;
  sev.forEach(function(b){b.addEventListener('change',apply)});
  clean.addEventListener('change',apply);q.addEventListener('input',apply);
  apply();document.body.dataset.ready='1';
})();
